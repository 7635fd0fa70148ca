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

      overlays.default = final: _prev: { tt = final.callPackage ./nix/package.nix { }; };

      devShells = forAllSystems (
        _system: pkgs: {
          default = pkgs.mkShell {
            packages = with pkgs; [
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
            ];
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
          ttModule = self.homeManagerModules.tt;
        }
      );

      # The module with programs.tt.package defaulting to this flake's tt.
      homeManagerModules = {
        default = self.homeManagerModules.tt;
        tt =
          { lib, pkgs, ... }:
          {
            imports = [ ./nix/hm-module.nix ];
            programs.tt.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.tt;
          };
      };
    };
}
