# Just enough of Home Manager and nixpkgs to evaluate nix/hm-module.nix with
# nothing but nixpkgs' `lib`:
#
# - `pkgs`: fake packages (a name and a store path, nothing to build), the
#   `pkgs.formats` the modules read, of which only TOML writes real TOML
#   (nixpkgs' `lib` has no TOML writer), `path` when given, and a
#   `buildRustPackage` that hands back its arguments for nix/tests/flake-test.nix;
# - `evalHome`: the options of Home Manager that programs.tt sets or reads,
#   loosely typed, with `lib.hm` reduced to the helpers the module calls
#   (launchd's named intervals: hourly and daily only).
#
# nix/tests/hm-tmux-test.nix runs Home Manager's own modules on this `pkgs`;
# the flake's checks run the same cases on real nixpkgs and Home Manager.
{
  nixpkgsLib,
  # A nixpkgs-shaped directory for Home Manager's `pkgs.path` imports.
  nixpkgsPath ? null,
  system ? "x86_64-linux",
}:

let
  lib = nixpkgsLib.extend (
    _final: _prev: {
      hm = {
        # Same shape as Home Manager's DAG entries.
        dag.entryAfter = after: data: {
          inherit after data;
          before = [ ];
        };
        assertions.assertPlatform = module: pkgs: platforms: {
          assertion = lib.elem pkgs.stdenv.hostPlatform.system platforms;
          message = "The module ${module} does not support ${pkgs.stdenv.hostPlatform.system}.";
        };
        # Two of Home Manager's named intervals, in its shape.
        darwin = {
          mkCalendarInterval =
            interval:
            {
              hourly = [ { Minute = 0; } ];
              daily = [
                {
                  Hour = 0;
                  Minute = 0;
                }
              ];
            }
            .${interval} or null;
          assertInterval = option: interval: pkgs: {
            assertion =
              pkgs.stdenv.hostPlatform.isDarwin
              -> lib.elem interval [
                "hourly"
                "daily"
              ];
            message = "On Darwin, ${option} must be one of: hourly, daily.";
          };
          intervalDocumentation = "";
        };
      };
    }
  );

  inherit (lib) mkOption types;

  fakePackage = name: {
    type = "derivation";
    inherit name;
    pname = name;
    version = "0";
    # Distinct per system, so that a package of the wrong system shows.
    outPath = "/nix/store/${builtins.substring 0 32 (builtins.hashString "sha256" system)}-${name}";
    meta.mainProgram = name;
  };

  # Tables and arrays of tables after the plain keys of each level, as TOML
  # requires. Covers the value kinds tt's configuration uses.
  toTOML =
    let
      key = k: if builtins.match "[A-Za-z0-9_-]+" k != null then k else builtins.toJSON k;
      dotted = path: lib.concatMapStringsSep "." key path;
      isTable = builtins.isAttrs;
      isTableArray = v: builtins.isList v && v != [ ] && lib.all builtins.isAttrs v;
      scalar =
        v:
        if builtins.isList v then
          "[" + lib.concatMapStringsSep ", " scalar v + "]"
        else if builtins.isBool v then
          lib.boolToString v
        else if builtins.isInt v then
          toString v
        else if builtins.isString v then
          builtins.toJSON v
        else
          throw "stand-in TOML writer: unsupported value ${builtins.typeOf v}";
      table =
        path: attrs:
        let
          plain = lib.filterAttrs (_: v: !isTable v && !isTableArray v) attrs;
          tables = lib.filterAttrs (_: isTable) attrs;
          arrays = lib.filterAttrs (_: isTableArray) attrs;
        in
        lib.concatStrings (lib.mapAttrsToList (k: v: "${key k} = ${scalar v}\n") plain)
        + lib.concatStrings (
          lib.mapAttrsToList (k: v: "\n[${dotted (path ++ [ k ])}]\n" + table (path ++ [ k ]) v) tables
        )
        + lib.concatStrings (
          lib.mapAttrsToList (
            k: vs: lib.concatMapStrings (v: "\n[[${dotted (path ++ [ k ])}]]\n" + table (path ++ [ k ]) v) vs
          ) arrays
        );
    in
    table [ ];

  # Formats whose files no case reads are written as JSON.
  format = render: _: {
    type = types.attrsOf types.anything;
    generate = name: value: builtins.toFile name (render value);
  };

  platform = lib.systems.elaborate system;

  pkgs = {
    lib = nixpkgsLib;
    path = nixpkgsPath;
    stdenv = {
      hostPlatform = platform;
      buildPlatform = platform;
    };
    formats = {
      toml = format toTOML;
      ini = format builtins.toJSON;
      json = format builtins.toJSON;
    };
    callPackage = lib.callPackageWith pkgs;
    runtimeShell = "${fakePackage "bash"}/bin/bash";
  }
  # Builders give fake packages too: no case looks inside what they build.
  // {
    # The script is kept for the cases to read.
    runCommand = name: env: script: fakePackage name // env.passthru or { } // { inherit script; };
    runCommandLocal = name: _env: _script: fakePackage name;
    writeText = name: _text: fakePackage name;
    writeTextFile = { name, ... }: fakePackage name;
    mkShell = args: fakePackage "nix-shell" // { inherit args; };
    # drvArgs: the attributes of the derivation, as overrideAttrs changes them.
    rustPlatform.buildRustPackage =
      args:
      let
        package =
          fakePackage "${args.pname}-${args.version}"
          // {
            inherit args;
            inherit (args) pname version meta;
            drvArgs = args;
            overrideAttrs = f: package // { drvArgs = args // f args; };
          };
      in
      package;
  }
  // lib.genAttrs [
    "cargo"
    "cargo-nextest"
    "clippy"
    "git"
    "glibcLocales"
    "installShellFiles"
    "nixfmt-tree"
    "nss_wrapper"
    "openssh"
    "rustc"
    "rustfmt"
    "shared-mime-info"
    "sqlite"
    "tmux"
    "tt"
    "util-linux"
  ] fakePackage
  // {
    glibc = fakePackage "glibc" // {
      static = fakePackage "glibc-static";
    };
  };

  fileType = types.attrsOf (
    types.submodule {
      options = {
        text = mkOption {
          type = types.nullOr types.lines;
          default = null;
        };
        source = mkOption { type = types.path; };
      };
    }
  );

  str = default: mkOption {
    type = types.str;
    inherit default;
  };

  # The options of Home Manager that programs.tt sets or reads, with loose
  # types and the defaults of a user `tester`.
  homeManager = {
    options = {
      home.homeDirectory = str "/home/tester";
      home.profileDirectory = str "/home/tester/.nix-profile";
      xdg.configHome = str "/home/tester/.config";
      xdg.dataHome = str "/home/tester/.local/share";
      xdg.stateHome = str "/home/tester/.local/state";
      sshAuthSock.enable = mkOption {
        type = types.bool;
        default = false;
      };
      sshAuthSock.systemd.socketProviderUnit = mkOption { type = types.str; };
      sshAuthSock.initialization = mkOption {
        type = types.attrsOf types.str;
        default = { };
      };
      launchd.agents = mkOption {
        type = types.attrsOf types.attrs;
        default = { };
      };
      assertions = mkOption {
        type = types.listOf types.attrs;
        default = [ ];
      };
      home.packages = mkOption {
        type = types.listOf types.package;
        default = [ ];
      };
      home.activation = mkOption {
        type = types.attrsOf types.attrs;
        default = { };
      };
      xdg.configFile = mkOption {
        type = fileType;
        default = { };
      };
      programs.tmux = {
        enable = mkOption {
          type = types.bool;
          default = false;
        };
        extraConfig = mkOption {
          type = types.lines;
          default = "";
        };
      };
      systemd.user.services = mkOption {
        type = types.attrsOf types.attrs;
        default = { };
      };
      systemd.user.timers = mkOption {
        type = types.attrsOf types.attrs;
        default = { };
      };
    };
    config._module.args.pkgs = pkgs;
  };

  evalHomeWith =
    ttModule: modules:
    (lib.evalModules {
      modules = [
        homeManager
        ttModule
      ]
      ++ modules;
    }).config;

  # The module as the flake gives it, with this `pkgs.tt` as its package.
  ttModule = import ../hm-module.nix { ttPackages.${system}.tt = pkgs.tt; };
in
{
  inherit lib pkgs ttModule;
  ttPackage = pkgs.tt;

  # modules -> config, without enforcing assertions (the cases read them).
  evalHome = evalHomeWith ttModule;

  # The same with another module providing programs.tt (the flake's).
  inherit evalHomeWith;

  # The options with another module providing programs.tt.
  optionsWith =
    ttModule:
    (lib.evalModules {
      modules = [
        homeManager
        ttModule
      ];
    }).options;
}
