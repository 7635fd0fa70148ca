# Stand-in for nixpkgs' module of the same path, which Home Manager imports:
# the `assertions` and `warnings` options, nothing else.
{ lib, ... }:
{
  options = {
    assertions = lib.mkOption {
      type = lib.types.listOf lib.types.unspecified;
      default = [ ];
    };
    warnings = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
    };
  };
}
