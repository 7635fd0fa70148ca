#!/usr/bin/env bash
# Every check of the Nix packaging that runs without network: one line per
# check, the details of a failure after its line, exit 1 if any failed.
#
#   TT_NIXPKGS_LIB=DIR    nixpkgs' lib: a checkout of nixpkgs or of nixpkgs.lib
#                         (a work tree or a bare git dir); enables the module test
#   TT_HOME_MANAGER=DIR   Home Manager: a work tree, or a git dir holding the
#                         locked rev (then its narHash is recomputed too);
#                         with TT_NIXPKGS_LIB, runs the module on Home Manager's
#                         own modules
#
# Both default to the copies in ../shared/nix-inputs/ (beside the repository,
# here and in CI) when they are there; without them the module evaluations
# are SKIPPED, loudly.
#
# Needs nix-instantiate and nix (Debian: nix-bin), jq and git. Building the
# flake's checks needs network: `nix flake check`.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
repo=$PWD

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A private configuration: no binary cache to wait for, no build users.
export NIX_CONF_DIR=$tmp/nix-conf
mkdir -p "$NIX_CONF_DIR"
cat > "$NIX_CONF_DIR/nix.conf" << 'CONF'
experimental-features = nix-command flakes
substituters =
sandbox = false
build-users-group =
CONF

# Absolute paths: the checks run from other directories too.
inputs=$repo/../shared/nix-inputs
if [ -z "${TT_NIXPKGS_LIB:-}" ] && [ -d "$inputs/nixpkgs-lib" ]; then
  TT_NIXPKGS_LIB=$inputs/nixpkgs-lib
fi
if [ -z "${TT_HOME_MANAGER:-}" ] && [ -d "$inputs/home-manager" ]; then
  TT_HOME_MANAGER=$inputs/home-manager
fi
for var in TT_NIXPKGS_LIB TT_HOME_MANAGER; do
  if [ -n "${!var:-}" ] && [ -d "${!var}" ]; then
    printf -v "$var" '%s' "$(cd "${!var}" && pwd)"
  fi
done

failed=0
# check NAME COMMAND...: runs COMMAND quietly; prints its output only on failure.
check() {
  local name=$1
  shift
  if "$@" > "$tmp/out" 2>&1; then
    echo "ok: $name"
  else
    echo "FAILED: $name"
    sed 's/^/    /' "$tmp/out"
    failed=1
  fi
}
skip() { echo "SKIPPED: $*"; }

# A directory from DIR that is a work tree or a git dir: the tree of REV
# exported to OUT when it is a git dir, DIR itself otherwise.
tree_of() {
  local dir=$1 rev=$2 out=$3
  if [ -d "$dir/.git" ] || [ -f "$dir/.git" ]; then
    echo "$dir"
  elif git --git-dir="$dir" rev-parse --git-dir > /dev/null 2>&1; then
    mkdir -p "$out" && git --git-dir="$dir" archive "$rev" | tar -x -C "$out" && echo "$out"
  else
    echo "$dir"
  fi
}

have_tools() {
  local missing=()
  for tool in nix nix-instantiate jq git tar; do
    command -v "$tool" > /dev/null || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] || { echo "missing: ${missing[*]} (apt-get install -y nix-bin jq git)"; return 1; }
}

parse_all() {
  local files n=0
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.nix')
  for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    nix-instantiate --parse "$f" > /dev/null || return 1
    n=$((n + 1))
  done
  [ $n -gt 0 ] || { echo "no .nix file found"; return 1; }
}

scripts_parse() {
  local f
  for f in nix/*.sh; do bash -n "$f" || return 1; done
}

lock_shape() {
  jq -e '
    def locked_github(owner; repo):
      .locked.type == "github" and .original.type == "github"
      and .locked.owner == owner and .locked.repo == repo
      and .original.owner == owner and .original.repo == repo
      and (.locked.rev | test("^[0-9a-f]{40}$"))
      and (.locked.narHash | test("^sha256-[A-Za-z0-9+/]{43}=$"))
      and (.locked.lastModified | type == "number" and . > 0);
    .version == 7 and .root == "root"
    and .nodes.root.inputs == { "nixpkgs": "nixpkgs", "home-manager": "home-manager" }
    and (.nodes.nixpkgs | locked_github("NixOS"; "nixpkgs") and .original.ref == "nixpkgs-unstable")
    and (.nodes["home-manager"] | locked_github("nix-community"; "home-manager"))
    and .nodes["home-manager"].inputs == { "nixpkgs": ["nixpkgs"] }
    and (.nodes | keys == ["home-manager", "nixpkgs", "root"])
  ' flake.lock
}

lock_matches_flake() {
  nix flake metadata --no-update-lock-file "$repo"
}

nixpkgs_lib=""
if [ -n "${TT_NIXPKGS_LIB:-}" ]; then
  lib_tree=$(tree_of "$TT_NIXPKGS_LIB" HEAD "$tmp/nixpkgs-lib")
  for candidate in "$lib_tree/lib" "$lib_tree"; do
    [ -f "$candidate/default.nix" ] && [ -f "$candidate/modules.nix" ] && nixpkgs_lib=$candidate && break
  done
fi

module_stand_ins() {
  nix-instantiate --eval --strict --read-write-mode nix/tests/stand-ins-test.nix \
    --arg nixpkgsLib "import $nixpkgs_lib"
}

flake_outputs() {
  nix-instantiate --eval --strict --read-write-mode nix/tests/flake-test.nix \
    --arg nixpkgsLib "import $nixpkgs_lib"
}

module_on_home_manager() {
  # Home Manager imports files of nixpkgs through pkgs.path: lib/ from the
  # real one, nixos/ from the stand-ins.
  mkdir -p "$tmp/nixpkgs"
  ln -sfn "$nixpkgs_lib" "$tmp/nixpkgs/lib"
  ln -sfn "$repo/nix/tests/stand-in-nixpkgs/nixos" "$tmp/nixpkgs/nixos"
  nix-instantiate --eval --strict --read-write-mode nix/tests/hm-tmux-test.nix \
    --arg nixpkgsLib "import $nixpkgs_lib" \
    --arg homeManager "$home_manager" \
    --arg nixpkgsPath "$tmp/nixpkgs"
}

check "tools (nix, nix-instantiate, jq, git)" have_tools
[ $failed -eq 0 ] || exit 1

check "every .nix file parses" parse_all
check "the scripts in nix/ parse (bash -n)" scripts_parse
check "flake.lock: version 7, both inputs locked, home-manager follows nixpkgs" lock_shape
check "flake.lock matches flake.nix (nix flake metadata --no-update-lock-file)" lock_matches_flake

home_manager=""
if [ -n "${TT_HOME_MANAGER:-}" ]; then
  hm_rev=$(jq -r '.nodes["home-manager"].locked.rev' flake.lock)
  if git --git-dir="$TT_HOME_MANAGER" cat-file -e "$hm_rev^{commit}" 2> /dev/null; then
    check "flake.lock: home-manager narHash reproduced (nix/lock-hash.sh)" \
      bash nix/lock-hash.sh home-manager "$TT_HOME_MANAGER"
  else
    # Not a module evaluation: the copy in ../shared/nix-inputs is a work tree.
    skip "home-manager narHash ($TT_HOME_MANAGER is a work tree, not a git dir holding $hm_rev)"
  fi
  home_manager=$(tree_of "$TT_HOME_MANAGER" "$hm_rev" "$tmp/home-manager")
else
  skip "home-manager narHash (set TT_HOME_MANAGER to its git dir)"
fi

if [ -n "$nixpkgs_lib" ]; then
  check "module evaluation with stand-ins (nix/tests/stand-ins-test.nix)" module_stand_ins
  check "flake outputs evaluate with stand-in inputs (nix/tests/flake-test.nix)" flake_outputs
  if [ -n "$home_manager" ]; then
    check "module evaluation on Home Manager's modules, Linux and macOS (nix/tests/hm-tmux-test.nix)" \
      module_on_home_manager
  else
    skip "module evaluation on Home Manager's modules (set TT_HOME_MANAGER)"
  fi
elif [ -n "${TT_NIXPKGS_LIB:-}" ]; then
  check "TT_NIXPKGS_LIB=$TT_NIXPKGS_LIB holds nixpkgs' lib" false
else
  skip "module evaluation (no nixpkgs lib: ../shared/nix-inputs is absent; set TT_NIXPKGS_LIB)"
fi

if command -v deadnix > /dev/null; then
  check "deadnix: no unused Nix bindings" deadnix --fail --exclude target
fi

exit $failed
