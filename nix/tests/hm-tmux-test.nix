# The module test on Home Manager's own modules, still without nixpkgs:
# Home Manager's core (`minimal`) plus its programs/tmux.nix, evaluated on
# the stand-in `pkgs` of nix/tests/stand-ins.nix. Besides every case of
# nix/tests/hm-module.nix, it proves that the hooks reach the tmux.conf that
# Home Manager generates.
#
#   nix-instantiate --eval --strict --read-write-mode nix/tests/hm-tmux-test.nix \
#     --arg nixpkgsLib 'import /path/to/nixpkgs/lib' \
#     --arg homeManager /path/to/home-manager \
#     --arg nixpkgsPath /dir/with/lib/and/nixos
#
# `nixpkgsPath` needs `lib/` of nixpkgs (Home Manager imports
# lib/services/lib.nix from it) and nix/tests/stand-in-nixpkgs/nixos;
# nix/check-offline.sh assembles it.
{
  nixpkgsLib,
  homeManager,
  nixpkgsPath,
}:

let
  standIns = import ./stand-ins.nix { inherit nixpkgsLib nixpkgsPath; };
  lib = nixpkgsLib;
  ttPackage = standIns.pkgs.tt;

  evalHome = import ./home-manager.nix {
    inherit homeManager lib;
    inherit (standIns) pkgs;
    ttModule = ../hm-module.nix;
    minimal = true;
    extraModules = [ (homeManager + "/modules/programs/tmux.nix") ];
  };

  cases = import ./hm-module.nix { inherit lib ttPackage; };

  tmuxConf = (evalHome [ cases.remote.module ]).xdg.configFile."tmux/tmux.conf".text;

  result = import ./run-cases.nix {
    inherit lib cases evalHome;
    parseToml = file: builtins.fromTOML (builtins.readFile file.source);
  };

  failures =
    result.failures
    ++ lib.optional (!lib.hasInfix "source-file ${ttPackage}/share/tt/tmux.conf\n" tmuxConf) "remote: the generated tmux.conf sources the hooks";
in
if failures == [ ] then
  "${toString (result.checked + 1)} facts hold in ${toString (lib.length (lib.attrNames cases))} cases"
else
  throw ("programs.tt facts that do not hold:\n" + lib.concatMapStrings (f: "  - ${f}\n") failures)
