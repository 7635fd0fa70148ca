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
  lib = nixpkgsLib;

  # Once on Linux and once on macOS, as in nix/tests/stand-ins-test.nix.
  runOn =
    system:
    let
      standIns = import ./stand-ins.nix { inherit nixpkgsLib nixpkgsPath system; };
      ttPackage = standIns.pkgs.tt;

      evalHome = import ./home-manager.nix {
        inherit homeManager lib;
        inherit (standIns) pkgs ttModule;
        minimal = true;
        extraModules = [ (homeManager + "/modules/programs/tmux.nix") ];
      };

      cases = import ./hm-module.nix {
        inherit lib ttPackage;
        inherit (standIns.pkgs.stdenv.hostPlatform) isLinux;
      };

      remote = evalHome [ cases.remote.module ];
      tmuxConf = remote.xdg.configFile."tmux/tmux.conf".text;
      hookFile = remote.xdg.configFile."tt/tmux.conf".source;

      result = import ./run-cases.nix {
        inherit lib cases evalHome;
        parseToml = file: builtins.fromTOML (builtins.readFile (file.source.generated or file.source));
      };
    in
    {
      failures = map (f: "${system}: ${f}") (
        result.failures
        ++ lib.optional (!lib.hasInfix "source-file ${hookFile}\n" tmuxConf) "remote: the generated tmux.conf sources the hooks"
      );
      checked = result.checked + 1;
      cases = lib.length (lib.attrNames cases);
    };

  results = map runOn [
    "x86_64-linux"
    "aarch64-darwin"
  ];
  failures = lib.concatMap (r: r.failures) results;
  checked = lib.foldl' (n: r: n + r.checked) 0 results;
in
if failures == [ ] then
  "${toString checked} facts hold in ${toString (lib.head results).cases} cases on Linux and macOS"
else
  throw ("programs.tt facts that do not hold:\n" + lib.concatMapStrings (f: "  - ${f}\n") failures)
