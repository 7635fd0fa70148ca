# Just enough of Home Manager and nixpkgs to evaluate nix/hm-module.nix with
# nothing but nixpkgs' `lib`: the options the module sets, `lib.hm` with the
# two helpers it calls, and a `pkgs` whose only real piece is a small TOML
# writer standing in for `pkgs.formats.toml` (nixpkgs' `lib` has none).
#
# The flake's checks run the same cases against the real Home Manager.
{ nixpkgsLib }:

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
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
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

  pkgs = {
    inherit lib;
    stdenv.hostPlatform.system = "x86_64-linux";
    formats.toml = _: {
      type = types.attrsOf types.anything;
      generate = name: value: builtins.toFile name (toTOML value);
    };
    openssh = fakePackage "openssh";
    tmux = fakePackage "tmux";
    tt = fakePackage "tt";
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
in
{
  inherit lib pkgs;
  ttPackage = pkgs.tt;

  # modules -> config, without enforcing assertions (the cases read them).
  evalHome =
    modules:
    (lib.evalModules {
      modules = [
        homeManager
        ../hm-module.nix
      ]
      ++ modules;
    }).config;
}
