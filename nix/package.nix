{
  lib,
  stdenv,
  rustPlatform,
  installShellFiles,
  runtimeShell,
  git,
  glibc,
  nss_wrapper,
  openssh,
  sqlite,
  tmux,
  util-linux,
}:

let
  # tt prints its own tmux hooks and completions; that needs a tt that runs here.
  canRunTt = stdenv.buildPlatform.canExecute stdenv.hostPlatform;
  cargoPackage = (lib.importTOML ../Cargo.toml).package;
in
rustPlatform.buildRustPackage {
  pname = "tt";
  inherit (cargoPackage) version;

  # Only what cargo, rustfmt, clippy and nextest read, so that editing the
  # Nix files or the docs does not rebuild tt.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions (
      [
        ../Cargo.toml
        ../Cargo.lock
        ../src
      ]
      ++ map lib.fileset.maybeMissing [
        ../build.rs
        ../tests
        ../benches
        ../rustfmt.toml
        ../.rustfmt.toml
        ../clippy.toml
        ../.clippy.toml
        ../.config/nextest.toml
      ]
      ++ [
        (lib.fileset.difference (lib.fileset.maybeMissing ../examples) (
          lib.fileset.maybeMissing ../examples/home-manager
        ))
      ]
    );
  };

  cargoLock.lockFile = ../Cargo.lock;

  nativeBuildInputs = [ installShellFiles ];

  # On glibc systems tt links glibc statically: a tmux hook then starts about
  # 0.3 ms sooner (most of a hook's cost beyond the process spawn is the dynamic
  # loader; see examples/bench_ingest.rs). buildRustPackage passes --target, so
  # the flag reaches only tt, not the proc-macros.
  buildInputs = lib.optionals stdenv.hostPlatform.isGnu [ glibc.static ];
  env = lib.optionalAttrs stdenv.hostPlatform.isGnu {
    RUSTFLAGS = "-C target-feature=+crt-static";
  };

  useNextest = true;

  # The tests talk to sshd and tmux over loopback and Unix sockets, which the
  # macOS sandbox allows only with this.
  __darwinAllowLocalNetworking = true;

  # sshd lets in only a user with a login shell, which the macOS build user
  # lacks (and nss_wrapper does not work there): the sync tests (every test
  # binary named sync_*) run on Linux only. One word, as the nextest hook
  # splits cargoTestFlags on spaces.
  cargoTestFlags = lib.optionals (!stdenv.hostPlatform.isLinux) [
    "-E"
    "!binary(/^sync_/)"
  ];

  # The integration tests start a real sshd on loopback and a real tmux
  # server on a private socket; both work inside the Linux build sandbox.
  nativeCheckInputs = [
    git
    openssh
    sqlite
    tmux
  ]
  # `script` gives the sync tests a pseudo-terminal (progress bars, label prompt).
  ++ lib.optional (lib.meta.availableOn stdenv.buildPlatform util-linux) util-linux;

  preCheck = ''
    export HOME=$TMPDIR
  ''
  # sshd refuses a user whose login shell does not exist, and the build
  # user's is /noshell in the sandbox (a nologin outside it). nss_wrapper
  # lets the tests see the same user with a real shell.
  + lib.optionalString stdenv.hostPlatform.isLinux ''
    export NSS_WRAPPER_PASSWD=$TMPDIR/passwd NSS_WRAPPER_GROUP=$TMPDIR/group
    { grep -v "^$(id -un):" /etc/passwd || true
      echo "$(id -un):x:$(id -u):$(id -g):tt tests:$HOME:${runtimeShell}"
    } > "$NSS_WRAPPER_PASSWD"
    cp /etc/group "$NSS_WRAPPER_GROUP"
    export LD_PRELOAD=${nss_wrapper}/lib/libnss_wrapper.so
  '';

  postCheck = lib.optionalString stdenv.hostPlatform.isLinux ''
    unset LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
  '';

  postInstall =
    if canRunTt then
      ''
        # tt must not look at the builder's (nonexistent) home.
        export HOME=$(mktemp -d)

        # The hooks name this store path, so tmux runs this very tt (tt
        # warns about it: the home-manager module rewrites the path to the
        # profile's tt, which outlives this build).
        mkdir -p $out/share/tt
        $out/bin/tt hook tmux > $out/share/tt/tmux.conf
        grep -q "$out/bin/tt" $out/share/tt/tmux.conf

        installShellCompletion --cmd tt \
          --bash <($out/bin/tt completions bash) \
          --fish <($out/bin/tt completions fish) \
          --zsh <($out/bin/tt completions zsh)
      ''
    else
      ''
        # Cross build: the repository's copy of the hooks runs `tt` from PATH.
        install -Dm644 src/capture/tmux.conf $out/share/tt/tmux.conf
      '';

  meta = {
    description = "Passive time tracker for developers who work in tmux on remote machines";
    longDescription = ''
      tt records tmux pane focus and Claude Code activity on every machine
      into a local log; a hub pulls the logs of the whole fleet over ssh into
      SQLite and reports time per stream of work, split into direct (human
      attention) and delegated (agent working) time.
    '';
    mainProgram = "tt";
    platforms = lib.platforms.unix;
  }
  # Cargo.toml is where the license and the home page are declared.
  // lib.optionalAttrs (cargoPackage ? license) {
    license = lib.getLicenseFromSpdxId cargoPackage.license;
  }
  // lib.optionalAttrs (cargoPackage ? homepage || cargoPackage ? repository) {
    homepage = cargoPackage.homepage or cargoPackage.repository;
  };
}
