# Just enough of Home Manager and nixpkgs to evaluate nix/hm-module.nix with
# nothing but nixpkgs' `lib`:
#
# - `pkgs`: fake packages (a name and a store path, nothing to build), the
#   `pkgs.formats` the modules read, of which only TOML writes real TOML
#   (nixpkgs' `lib` has no TOML writer), `path` when given, and a
#   `buildRustPackage` that hands back its arguments for nix/tests/flake-test.nix;
# - `evalHome`: the options of Home Manager that programs.tt sets, loosely
#   typed, with `lib.hm` reduced to the two helpers the module calls.
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
    runCommand = name: _env: _script: fakePackage name;
    runCommandLocal = name: _env: _script: fakePackage name;
    writeText = name: _text: fakePackage name;
    writeTextFile = { name, ... }: fakePackage name;
    mkShell = args: fakePackage "nix-shell" // { inherit args; };
    rustPlatform.buildRustPackage =
      args:
      fakePackage "${args.pname}-${args.version}"
      // {
        inherit args;
        inherit (args) pname version meta;
      };
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

  # The options of Home Manager that programs.tt sets, with loose types.
  homeManager = {
    options = {
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
in
{
  inherit lib pkgs;
  ttPackage = pkgs.tt;

  # modules -> config, without enforcing assertions (the cases read them).
  evalHome = evalHomeWith ../hm-module.nix;

  # The same with another module providing programs.tt (the flake's wrapper).
  inherit evalHomeWith;
}
