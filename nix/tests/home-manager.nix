# Evaluates configurations with Home Manager's own modules, the way its
# modules/default.nix does, but hands back `config` without enforcing the
# assertions, so that a case can check that one fails.
#
# `pkgs` is used as given (Home Manager's nixpkgs module is off), which lets
# nix/tests/hm-tmux-test.nix run Home Manager on a stand-in `pkgs`.
{
  homeManager,
  pkgs,
  lib ? pkgs.lib,
  ttModule,
  # Only Home Manager's core modules plus `extraModules`, rather than all.
  minimal ? false,
  extraModules ? [ ],
  # Whether every definition needs a declared option. The core modules
  # define a few options of modules that `minimal` leaves out, which is why
  # Home Manager's own tests turn this off there too.
  check ? !minimal,
}:

let
  hmLib = import (homeManager + "/modules/lib/stdlib-extended.nix") lib;

  hmModules = import (homeManager + "/modules/modules.nix") {
    inherit pkgs minimal check;
    lib = hmLib;
    useNixpkgsModule = false;
  };

  user = {
    home.username = "tester";
    home.homeDirectory = "/home/tester";
    home.stateVersion = "25.11";
  };
in
modules:
(hmLib.evalModules {
  class = "homeManager";
  specialArgs.modulesPath = toString (homeManager + "/modules");
  modules =
    hmModules
    ++ extraModules
    ++ [
      ttModule
      user
    ]
    ++ modules;
}).config
