# The module test with stand-ins, for machines without the flake's inputs:
#
#   nix-instantiate --eval --strict --read-write-mode nix/tests/stand-ins-test.nix \
#     --arg nixpkgsLib 'import /path/to/nixpkgs/lib'
#
# Evaluates to a one-line summary, or fails listing every fact that broke.
{ nixpkgsLib }:

let
  standIns = import ./stand-ins.nix { inherit nixpkgsLib; };
  inherit (standIns) lib;

  cases = import ./hm-module.nix {
    inherit lib;
    inherit (standIns) ttPackage;
  };

  result = import ./run-cases.nix {
    inherit lib cases;
    inherit (standIns) evalHome;
    parseToml = file: builtins.fromTOML (builtins.readFile file.source);
  };
in
if result.failures == [ ] then
  "${toString result.checked} facts hold in ${toString (lib.length (lib.attrNames cases))} cases"
else
  throw ("programs.tt facts that do not hold:\n" + lib.concatMapStrings (f: "  - ${f}\n") result.failures)
