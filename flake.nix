{
  description = "tt: passive time tracking for developers who work in tmux on remote machines";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    home-manager = {
      url = "github:nix-community/home-manager";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      home-manager,
    }:
    let
      inherit (nixpkgs) lib;

      forAllSystems =
        f:
        lib.genAttrs [
          "x86_64-linux"
          "aarch64-linux"
          "aarch64-darwin"
          "x86_64-darwin"
        ] (system: f system nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (
        system: pkgs: {
          default = self.packages.${system}.tt;
          tt = pkgs.callPackage ./nix/package.nix { };
        }
      );

      apps = forAllSystems (
        system: _pkgs: {
          default = {
            type = "app";
            program = lib.getExe self.packages.${system}.tt;
            meta.description = "Run tt";
          };
        }
      );

      # Not `tt`: nixpkgs has an unrelated `tt` (a typing test), which the
      # overlay would replace for every other user of it.
      overlays.default = final: _prev: { tt-time-tracker = final.callPackage ./nix/package.nix { }; };

      devShells = forAllSystems (
        _system: pkgs: {
          default = pkgs.mkShell {
            packages =
              with pkgs;
              [
                cargo
                cargo-nextest
                clippy
                rustc
                rustfmt
                sqlite
                # What the integration tests start.
                git
                openssh
                tmux
              ]
              # `script`, the pseudo-terminal of the sync tests.
              ++ lib.optional (lib.meta.availableOn stdenv.hostPlatform util-linux) util-linux;
            # `cargo build-static` (.cargo/config.toml) links glibc in.
            buildInputs = lib.optional pkgs.stdenv.hostPlatform.isGnu pkgs.glibc.static;
          };
        }
      );

      formatter = forAllSystems (_system: pkgs: pkgs.nixfmt-tree);

      checks = forAllSystems (
        system: pkgs:
        import ./nix/checks.nix {
          inherit pkgs;
          tt = self.packages.${system}.tt;
          homeManager = home-manager;
          ttModule = self.homeModules.tt;
        }
      );

      # programs.tt, with its package defaulting to this flake's tt.
      homeModules = {
        default = self.homeModules.tt;
        tt = import ./nix/hm-module.nix { ttPackages = self.packages; };
      };
      # The name Home Manager's flake used before `homeModules`.
      homeManagerModules = self.homeModules;
    };
}
