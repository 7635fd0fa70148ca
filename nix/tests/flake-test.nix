# Evaluates the outputs of flake.nix with stand-in inputs, so that mistakes in
# flake.nix and nix/package.nix show without network: nixpkgs is its real
# `lib` plus the stand-in `pkgs` of nix/tests/stand-ins.nix, whose
# buildRustPackage hands back the recipe's arguments; home-manager is absent,
# as only the checks use it (the flake's checks are not evaluated here).
#
#   nix-instantiate --eval --strict --read-write-mode nix/tests/flake-test.nix \
#     --arg nixpkgsLib 'import /path/to/nixpkgs/lib'
{ nixpkgsLib }:

let
  lib = nixpkgsLib;

  systems = [
    "aarch64-darwin"
    "aarch64-linux"
    "x86_64-darwin"
    "x86_64-linux"
  ];

  standIns = lib.genAttrs systems (system: import ./stand-ins.nix { inherit nixpkgsLib system; });

  nixpkgs = {
    inherit lib;
    legacyPackages = lib.mapAttrs (_: s: s.pkgs) standIns;
  };

  self =
    (import ../../flake.nix).outputs {
      inherit self nixpkgs;
      home-manager = throw "home-manager is only used by the checks";
    }
    // {
      outPath = toString ../..;
    };

  cargo = (lib.importTOML ../../Cargo.toml).package;
  cargoVersion = cargo.version;
  names = map (p: p.name);
  fact = what: holds: { inherit what holds; };

  perSystem =
    system:
    let
      tt = self.packages.${system}.tt;
      inherit (tt) args;
      isLinux = lib.hasSuffix "-linux" system;
      srcEntries = builtins.attrNames (builtins.readDir args.src);
      inherit (standIns.${system}) pkgs;
      overlaid = lib.fix (final: pkgs // self.overlays.default final pkgs);
      shell = self.devShells.${system}.default.args.packages;
      packageOf =
        module: (standIns.${system}.evalHomeWith module [ { programs.tt.enable = true; } ]).programs.tt.package;
      # The module file on its own, without the flake's packages.
      standalone = import ../hm-module.nix { };
      defaultTextOf =
        module: (standIns.${system}.optionsWith module).programs.tt.package.defaultText.text or "";
      clippy = self.checks.${system}.clippy;
    in
    map (f: f // { what = "${system}: ${f.what}"; }) (
      # lib.fileset needs builtins.readFileType, new in Nix 2.14.
      lib.optionals (builtins ? readFileType) [
        (fact "the source holds what cargo reads" (
          lib.all (e: lib.elem e srcEntries) [
            "Cargo.toml"
            "Cargo.lock"
            "src"
          ]
        ))
        (fact "the source leaves out the Nix files and build output" (
          lib.all (e: !lib.elem e srcEntries) [
            "flake.nix"
            "flake.lock"
            "nix"
            "target"
            ".ci"
          ]
        ))
      ]
      ++ [
        (fact "packages.default is tt" (self.packages.${system}.default == tt))
        (fact "tt has Cargo.toml's version" (tt.pname == "tt" && tt.version == cargoVersion))
        (fact "the tests run with nextest" (args.useNextest or false))
        (fact "the tests get sshd, tmux, git and sqlite" (
          lib.all (n: lib.elem n (names args.nativeCheckInputs)) [
            "openssh"
            "tmux"
            "git"
            "sqlite"
          ]
        ))
        (fact "the tests get a writable HOME" (lib.hasInfix "export HOME=$TMPDIR" args.preCheck))
        (fact "nss_wrapper is used on Linux only" (lib.hasInfix "nss_wrapper" args.preCheck == isLinux))
        (fact "glibc is linked statically on Linux only" (
          (args.env.RUSTFLAGS or "") == (if isLinux then "-C target-feature=+crt-static" else "")
          && (names args.buildInputs == (if isLinux then [ "glibc-static" ] else [ ]))
        ))
        (fact "the tests get a pseudo-terminal from util-linux" (lib.elem "util-linux" (names args.nativeCheckInputs)))
        (fact "the tmux hooks are generated into share/tt" (
          lib.hasInfix "$out/bin/tt hook tmux > $out/share/tt/tmux.conf" args.postInstall
        ))
        (fact "completions are installed for bash, fish and zsh" (
          lib.all (sh: lib.hasInfix "--${sh} <($out/bin/tt completions ${sh})" args.postInstall) [
            "bash"
            "fish"
            "zsh"
          ]
        ))
        (fact "apps.default runs tt" (
          self.apps.${system}.default == {
            type = "app";
            program = "${tt}/bin/tt";
            meta.description = self.apps.${system}.default.meta.description;
          }
        ))
        (fact "overlays.default adds tt as tt-time-tracker" (overlaid.tt-time-tracker.pname or null == "tt"))
        (fact "overlays.default leaves nixpkgs' tt (a typing test) alone" (
          builtins.attrNames (self.overlays.default pkgs pkgs) == [ "tt-time-tracker" ]
        ))
        (fact "meta names the program" (tt.meta.mainProgram or null == "tt"))
        (fact "meta.license and meta.homepage are Cargo.toml's when it declares them" (
          (cargo ? license -> tt.meta.license or null == lib.getLicenseFromSpdxId cargo.license)
          && (cargo ? repository -> tt.meta.homepage or null == cargo.homepage or cargo.repository)
        ))
        (fact "the sync tests run on Linux only (the macOS build user has no login shell)" (
          (args.cargoTestFlags or [ ])
          == lib.optionals (!isLinux) [
            "-E"
            "!binary(/^sync_/)"
          ]
        ))
        (fact "the tests may use local networking on macOS" (args.__darwinAllowLocalNetworking or false))
        (fact "the dev shell can link glibc statically and run the sync tests" (
          lib.elem "util-linux" (names shell)
          && names (self.devShells.${system}.default.args.buildInputs or [ ])
          == lib.optional isLinux "glibc-static"
        ))
        (fact "the clippy check passes no static-glibc RUSTFLAGS to the proc-macros" (
          !(clippy.drvArgs.env or { } ? RUSTFLAGS)
        ))
        (fact "the dev shell has the Rust tools and sqlite" (
          lib.all (n: lib.elem n (names shell)) [
            "cargo"
            "clippy"
            "rustfmt"
            "cargo-nextest"
            "sqlite"
          ]
        ))
        (fact "formatter is nixfmt-tree" (self.formatter.${system}.name == "nixfmt-tree"))
        (fact "homeManagerModules.default defaults to this flake's tt" (
          packageOf self.homeManagerModules.default == tt
        ))
        (fact "homeManagerModules.tt defaults to this flake's tt" (packageOf self.homeManagerModules.tt == tt))
        (fact "homeModules.default defaults to this flake's tt" (
          self ? homeModules && packageOf self.homeModules.default == tt
        ))
        (fact "the module's documented default is the flake's tt" (
          lib.hasInfix "tt.packages." (defaultTextOf self.homeManagerModules.default)
        ))
        (fact "the module file on its own builds tt from this source, never pkgs.tt" (
          (packageOf standalone) != pkgs.tt && (packageOf standalone).args.pname or null == "tt"
        ))
        (fact "checks cover tests, clippy, rustfmt and the module" (
          builtins.attrNames self.checks.${system} == [
            "clippy"
            "fmt"
            "hm-module"
            "hm-module-config-typo"
            "hm-module-stand-ins"
            "package"
          ]
        ))
      ]
    );

  facts =
    [
      (fact "every output covers the four systems" (
        lib.all (o: builtins.attrNames self.${o} == systems) [
          "packages"
          "apps"
          "devShells"
          "formatter"
          "checks"
        ]
      ))
    ]
    ++ lib.concatMap perSystem systems;

  failures = map (f: f.what) (lib.filter (f: !f.holds) facts);
in
if failures == [ ] then
  "${toString (lib.length facts)} facts hold for the flake's outputs"
else
  throw ("flake outputs: facts that do not hold:\n" + lib.concatMapStrings (f: "  - ${f}\n") failures)
