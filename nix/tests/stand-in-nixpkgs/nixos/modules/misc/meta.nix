# Stand-in for nixpkgs' module of the same path, which Home Manager imports:
# a `meta` option that accepts what modules declare about themselves.
{ lib, ... }:
{
  options.meta = lib.mkOption {
    type = lib.types.attrsOf lib.types.anything;
    default = { };
  };
}
