#!/usr/bin/env bash
# Recomputes the narHash and lastModified of one flake.lock input from a git
# copy of its repository and compares them with flake.lock, the way Nix's
# github fetcher derives them: the tree of the locked rev as `git archive`
# exports it, hashed with `nix hash path`; lastModified is the committer time.
#
#   bash nix/lock-hash.sh INPUT GIT_DIR      e.g. home-manager ~/src/home-manager/.git
#
# Exit 0: both values reproduced; 1: a value differs; 2: cannot check (the
# rev is not in GIT_DIR, a tool is missing, bad arguments).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 INPUT GIT_DIR" >&2
  exit 2
fi
input=$1 git_dir=$2
lock=$(cd "$(dirname "$0")/.." && pwd)/flake.lock

for tool in git jq nix tar; do
  command -v "$tool" > /dev/null || { echo "$0: $tool is not installed" >&2; exit 2; }
done

locked() { jq -er --arg i "$input" ".nodes[\$i].locked.$1" "$lock"; }
rev=$(locked rev) || { echo "$0: flake.lock has no locked input '$input'" >&2; exit 2; }
want_hash=$(locked narHash)
want_time=$(locked lastModified)

if ! git --git-dir="$git_dir" cat-file -e "$rev^{commit}" 2> /dev/null; then
  echo "$0: $git_dir does not contain $input's locked rev $rev" >&2
  exit 2
fi

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
git --git-dir="$git_dir" archive "$rev" | tar -x -C "$tree"
got_hash=$(nix --extra-experimental-features nix-command hash path "$tree")
got_time=$(git --git-dir="$git_dir" show -s --format=%ct "$rev")

status=0
if [ "$got_hash" != "$want_hash" ]; then
  echo "$input: narHash of $rev is $got_hash, flake.lock says $want_hash" >&2
  status=1
fi
if [ "$got_time" != "$want_time" ]; then
  echo "$input: lastModified of $rev is $got_time, flake.lock says $want_time" >&2
  status=1
fi
[ $status -eq 0 ] && echo "$input: narHash and lastModified of $rev reproduced"
exit $status
