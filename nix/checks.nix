# The flake's checks for one system: the package with its tests, clippy,
# rustfmt, and the programs.tt cases on the real Home Manager and nixpkgs.
{
  pkgs,
  tt,
  homeManager,
  ttModule,
}:

let
  inherit (pkgs) lib;

  cases = import ./tests/hm-module.nix {
    inherit lib;
    ttPackage = tt;
    inherit (pkgs.stdenv.hostPlatform) isLinux;
  };

  evalHome = import ./tests/home-manager.nix { inherit homeManager pkgs ttModule; };

  # config.toml is a build product here; it is compared when the check builds.
  result = import ./tests/run-cases.nix { inherit lib cases evalHome; };

  remote = evalHome [ cases.remote.module ];
  tmuxConf = remote.xdg.configFile."tmux/tmux.conf".text;
  hookFile = remote.xdg.configFile."tt/tmux.conf".source;

  failures =
    result.failures
    ++ lib.optional (!lib.hasInfix "source-file ${hookFile}\n" tmuxConf) "remote: the generated tmux.conf sources the hooks";

  # A key tt does not know, which the module must refuse when it builds config.toml.
  typo = evalHome [
    {
      programs.tt = {
        enable = true;
        settings.sync.paralelism = 4;
      };
    }
  ];

  compareToml =
    file:
    let
      expected = pkgs.writeText "${file.name}-expected.json" (builtins.toJSON file.expected);
    in
    ''
      python3 - ${file.source} ${expected} <<'EOF'
      import json, sys, tomllib
      with open(sys.argv[1], "rb") as f:
          got = tomllib.load(f)
      with open(sys.argv[2]) as f:
          want = json.load(f)
      if got != want:
          sys.exit("${file.name}: config.toml is %r, expected %r" % (got, want))
      EOF
    '';
in
{
  package = tt;

  clippy = tt.overrideAttrs (old: {
    pname = "tt-clippy";
    # The package's static-glibc RUSTFLAGS would reach the proc-macros too,
    # as this cargo runs without --target; clippy links nothing anyway.
    env = removeAttrs (old.env or { }) [ "RUSTFLAGS" ];
    nativeBuildInputs = old.nativeBuildInputs ++ [ pkgs.clippy ];
    buildPhase = ''
      runHook preBuild
      # Plain cargo rather than the cargo-auditable wrapper, which is only
      # of use for the release binary.
      ${pkgs.cargo}/bin/cargo clippy --offline --all-targets -- --deny warnings
      runHook postBuild
    '';
    doCheck = false;
    installPhase = ''
      mkdir $out
    '';
    dontFixup = true;
  });

  fmt =
    pkgs.runCommand "tt-fmt"
      {
        nativeBuildInputs = [
          pkgs.cargo
          pkgs.rustfmt
        ];
      }
      ''
        cp -r ${tt.src} source
        chmod -R u+w source
        cd source
        HOME=$TMPDIR cargo fmt --all --check
        mkdir $out
      '';

  hm-module =
    if failures != [ ] then
      throw ("programs.tt facts that do not hold:\n" + lib.concatMapStrings (f: "  - ${f}\n") failures)
    else
      pkgs.runCommand "tt-hm-module-test" { nativeBuildInputs = [ pkgs.python3 ]; } ''
        ${lib.concatMapStrings compareToml result.tomlFiles}
        # The hooks call the profile's tt, never a store path.
        grep -qF '"${remote.home.profileDirectory}/bin/tt" ingest ' ${hookFile}
        if grep -q /nix/store ${hookFile}; then
          echo "the hooks name a store path" >&2
          exit 1
        fi
        echo "${toString result.checked} facts hold" > $out
      '';

  # config.toml is checked by tt when it is built: a typo fails there.
  hm-module-config-typo =
    let
      failed = pkgs.testers.testBuildFailure typo.xdg.configFile."tt/config.toml".source;
    in
    pkgs.runCommand "tt-hm-module-config-typo-test" { } ''
      grep -F "unknown key 'sync.paralelism'" ${failed}/testBuildFailure.log
      touch $out
    '';

  # The offline test's stand-ins, kept honest against real nixpkgs' lib.
  hm-module-stand-ins = pkgs.writeText "tt-hm-module-stand-ins-test" (
    import ./tests/stand-ins-test.nix { nixpkgsLib = lib; }
  );
}
