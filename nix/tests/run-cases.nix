# Evaluates every case of nix/tests/hm-module.nix with a given Home Manager.
#
#   evalHome   : list of modules -> config (assertions not enforced)
#   parseToml  : config.xdg.configFile entry -> attrset, or null when the
#                file can only be read at build time; then the comparisons
#                are returned in `tomlFiles` for the caller to make.
#
# Returns { failures = [ "case: fact" ]; checked = N; tomlFiles = [ ... ]; }
{
  lib,
  cases,
  evalHome,
  parseToml ? null,
}:

let
  runCase =
    name: case:
    let
      config = evalHome [ case.module ];
      file = config.xdg.configFile."tt/config.toml" or null;
      wantFile = case.configToml != null;
      tomlFacts = [
        {
          what = if wantFile then "config.toml is written" else "no config.toml is written";
          holds = (file != null) == wantFile;
        }
      ]
      ++ lib.optional (wantFile && file != null && parseToml != null) {
        what = "config.toml parses back to the settings and remotes given";
        holds = parseToml file == case.configToml;
      };
      facts = case.facts config ++ tomlFacts;
    in
    {
      failures = map (f: "${name}: ${f.what}") (lib.filter (f: !f.holds) facts);
      checked = lib.length facts;
      tomlFiles = lib.optional (wantFile && file != null && parseToml == null) {
        inherit name;
        inherit (file) source;
        expected = case.configToml;
      };
    };

  results = lib.attrValues (lib.mapAttrs runCase cases);
in
{
  failures = lib.concatMap (r: r.failures) results;
  checked = lib.foldl' (n: r: n + r.checked) 0 results;
  tomlFiles = lib.concatMap (r: r.tomlFiles) results;
}
