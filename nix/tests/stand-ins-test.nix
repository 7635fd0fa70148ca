# The module test with stand-ins, for machines without the flake's inputs:
#
#   nix-instantiate --eval --strict --read-write-mode nix/tests/stand-ins-test.nix \
#     --arg nixpkgsLib 'import /path/to/nixpkgs/lib'
#
# Evaluates to a one-line summary, or fails listing every fact that broke.
{ nixpkgsLib }:

let
  lib = nixpkgsLib;

  # Once on Linux and once on macOS, where the sync timer is refused.
  runOn =
    system:
    let
      standIns = import ./stand-ins.nix { inherit nixpkgsLib system; };
      cases = import ./hm-module.nix {
        inherit (standIns) lib ttPackage;
        isLinux = standIns.pkgs.stdenv.hostPlatform.isLinux;
      };
      result = import ./run-cases.nix {
        inherit (standIns) lib evalHome;
        inherit cases;
        # config.toml as rendered, before tt checks it at build time.
        parseToml = file: builtins.fromTOML (builtins.readFile (file.source.generated or file.source));
      };
    in
    result // { failures = map (f: "${system}: ${f}") result.failures; };

  results = map runOn [
    "x86_64-linux"
    "aarch64-darwin"
  ];
  failures = lib.concatMap (r: r.failures) results;
  checked = lib.foldl' (n: r: n + r.checked) 0 results;
in
if failures == [ ] then
  "${toString checked} facts hold on Linux and macOS"
else
  throw ("programs.tt facts that do not hold:\n" + lib.concatMapStrings (f: "  - ${f}\n") failures)
