# Home Manager module for tt: `programs.tt`.
#
# This file gives the module once it is called with tt's packages: the flake
# exports `import ./nix/hm-module.nix { ttPackages = self.packages; }` as
# `homeModules.default` (and `homeManagerModules.default`), so that
# `programs.tt.package` defaults to the flake's own build. Called with
# `{ }` (from a checkout, without the flake), tt is built from this source
# tree with the configuration's nixpkgs. Never `pkgs.tt`: that is another
# program (a typing test).
{
  # system -> { tt = <package>; }, as the flake's `packages`; or null.
  ttPackages ? null,
}:
{
  config,
  lib,
  pkgs,
  ...
}:

let
  inherit (lib)
    literalExpression
    mkEnableOption
    mkIf
    mkMerge
    mkOption
    types
    ;

  cfg = config.programs.tt;
  tomlFormat = pkgs.formats.toml { };
  tt = lib.getExe cfg.package;
  inherit (pkgs.stdenv) hostPlatform;
  canRunTt = pkgs.stdenv.buildPlatform.canExecute hostPlatform;

  fromSource = pkgs.callPackage ./package.nix { };
  defaultPackage =
    if ttPackages == null then fromSource else ttPackages.${hostPlatform.system}.tt or fromSource;

  # The profile's tt rather than the store path of one build: tmux keeps the
  # hooks of a running server across upgrades, and garbage collection would
  # delete the build they name.
  profileTt = "${config.home.profileDirectory}/bin/tt";

  # A path as the hooks of `tt hook tmux` quote it (see src/capture/tmux.rs):
  # shell double quotes inside a tmux format, `#` doubled.
  hookQuote =
    path:
    ''"''
    + lib.replaceStrings [ "\\" ''"'' "$" "`" "#" ] [ "\\\\" ''\"'' "\\$" "\\`" "##" ] path
    + ''"'';

  # The package's hooks call either its own store path (`tt hook tmux` run at
  # build time) or `tt` from PATH (a cross build's copy of the repository's
  # file); both become the profile's tt, and the build fails if neither was found.
  hookFile = pkgs.runCommand "tt-tmux.conf" { } ''
    substitute ${cfg.package}/share/tt/tmux.conf $out \
      --replace-quiet ${lib.escapeShellArg "; ${hookQuote tt} ingest "} ${lib.escapeShellArg "; ${hookQuote profileTt} ingest "} \
      --replace-quiet ${lib.escapeShellArg "; tt ingest "} ${lib.escapeShellArg "; ${hookQuote profileTt} ingest "}
    if grep -qF ${lib.escapeShellArg "${cfg.package}/"} $out || ! grep -qF ${lib.escapeShellArg (hookQuote profileTt)} $out; then
      echo "the hooks of ${cfg.package} do not call tt the way programs.tt expects" >&2
      exit 1
    fi
  '';

  # tt reads config.toml with the directories Home Manager uses, whatever the
  # environment of activation or of the service manager holds.
  xdgEnv = {
    XDG_CONFIG_HOME = config.xdg.configHome;
    XDG_DATA_HOME = config.xdg.dataHome;
    XDG_STATE_HOME = config.xdg.stateHome;
  };

  # tt starts `ssh` from PATH (see sync.ssh_command); a service manager's PATH
  # is minimal, so offer the usual profile locations, with the packaged
  # OpenSSH last as a fallback.
  servicePath = lib.concatStringsSep ":" [
    "${config.home.profileDirectory}/bin"
    "/run/current-system/sw/bin"
    "/usr/local/bin"
    "/usr/bin"
    "/bin"
    (lib.makeBinPath [ pkgs.openssh ])
  ];

  # The unit that serves SSH_AUTH_SOCK when an agent module of Home Manager
  # (ssh-agent, gpg-agent, ...) provides one.
  sshAgentUnit =
    if config.sshAuthSock.enable or false then config.sshAuthSock.systemd.socketProviderUnit else null;

  # tt rejects keys it does not know: check the rendered file with tt itself,
  # so that a typo fails the build of the configuration, not the next sync.
  configFile =
    let
      generated = tomlFormat.generate "tt-config.toml" settings;
    in
    if canRunTt then
      pkgs.runCommand "tt-config.toml" { passthru = { inherit generated; }; } ''
        HOME=$TMPDIR ${tt} --config ${generated} config > /dev/null
        cp ${generated} $out
      ''
    else
      generated;

  # TOML has no null and tt rejects keys it does not know, so a remote is
  # written with exactly the keys that carry a value.
  renderRemote =
    remote:
    {
      inherit (remote) alias enabled;
    }
    // lib.optionalAttrs (remote.label != null) { inherit (remote) label; };

  # Remotes declared with `programs.tt.remotes` follow any written directly
  # under `settings.remotes`, in the order given.
  settings =
    cfg.settings
    // lib.optionalAttrs (cfg.remotes != [ ]) {
      remotes = (cfg.settings.remotes or [ ]) ++ map renderRemote cfg.remotes;
    };

  remoteType = types.submodule {
    options = {
      alias = mkOption {
        type = types.str;
        example = "devbox";
        description = ''
          SSH destination of the remote: a host alias from
          {file}`~/.ssh/config` or `user@host`.
        '';
      };

      label = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "gpu box";
        description = ''
          Display name of the remote on this hub. When `null`, the label the
          remote chose for itself with {command}`tt init` is used.
        '';
      };

      enabled = mkOption {
        type = types.bool;
        default = true;
        description = ''
          Whether {command}`tt sync` without arguments pulls from this remote.
          A disabled remote stays in the configuration and can still be
          synced by naming it: {command}`tt sync devbox`.
        '';
      };
    };
  };
in
{
  options.programs.tt = {
    enable = mkEnableOption "tt, the passive time tracker for tmux on remote machines";

    package = mkOption {
      type = types.package;
      default = defaultPackage;
      defaultText =
        if ttPackages == null then
          literalExpression "pkgs.callPackage <tt>/nix/package.nix { }"
        else
          literalExpression "tt.packages.\${pkgs.stdenv.hostPlatform.system}.tt";
      description = ''
        The tt package to use. The default is tt's own build from its flake
        (`tt` being the flake input); `pkgs.tt` of nixpkgs is an unrelated
        program.
      '';
    };

    label = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "devbox";
      description = ''
        Label of this machine. When set, activation runs
        {command}`tt init --label «label»`, which creates the machine identity
        in {file}`$XDG_DATA_HOME/tt/machine.json` on first use and afterwards
        only updates the label: the machine id is never changed.

        Every machine that records events (a remote, or a laptop that is
        both hub and workstation) needs an identity. When `null`, nothing is
        run and {command}`tt init` is left to you.
      '';
    };

    settings = mkOption {
      type = tomlFormat.type;
      default = { };
      example = literalExpression ''
        {
          sync = {
            parallelism = 4;
            connect_timeout = "5s";
          };
          allocation.attention_window = "3m";
        }
      '';
      description = ''
        Configuration written to {file}`$XDG_CONFIG_HOME/tt/config.toml`.
        The file is only written when this or {option}`programs.tt.remotes`
        is non-empty.

        tt rejects keys it does not know, so only the keys set here (and the
        remotes) are written; everything else keeps tt's built-in default.
        Run {command}`tt config` to see the effective configuration.
      '';
    };

    remotes = mkOption {
      type = types.listOf remoteType;
      default = [ ];
      example = literalExpression ''
        [
          { alias = "devbox"; }
          { alias = "me@10.0.0.5"; label = "gpu"; enabled = false; }
        ]
      '';
      description = ''
        Remotes this hub pulls events from with {command}`tt sync`. They are
        written as `[[remotes]]` tables of
        {file}`$XDG_CONFIG_HOME/tt/config.toml`, after any given in
        {option}`programs.tt.settings.remotes`.
      '';
    };

    enableTmuxIntegration = mkOption {
      type = types.bool;
      default = false;
      example = true;
      description = ''
        Whether to load tt's tmux hooks, which record pane focus and
        scrolling. Enable it on every machine whose tmux sessions you want
        tracked; the machine also needs an identity (see
        {option}`programs.tt.label`), or the hooks only log errors.

        The hook file shipped with the package is sourced from
        {option}`programs.tmux.extraConfig`, which takes effect when tmux is
        managed by Home Manager ({option}`programs.tmux.enable`). The same
        file is also linked to {file}`$XDG_CONFIG_HOME/tt/tmux.conf`; if you
        write your own {file}`tmux.conf`, add this line to it instead:

        ```
        source-file ~/.config/tt/tmux.conf
        ```

        Either way, reload with {command}`tmux source-file` or restart the
        tmux server for running sessions to pick the hooks up.
      '';
    };

    sync = {
      timer = mkOption {
        type = types.bool;
        default = false;
        example = true;
        description = ''
          Whether to run {command}`tt sync` periodically: from a systemd user
          timer on Linux, from a launchd agent on macOS. Meant for the hub.

          The sync runs without a terminal, so every remote must be reachable
          without a prompt: a key without passphrase, or an SSH agent. On
          Linux, the service starts after the agent of Home Manager's agent
          modules ({option}`services.ssh-agent.enable`,
          {option}`services.gpg-agent.enableSshSupport`, ...); an agent
          started otherwise must export its socket to the user manager
          ({command}`systemctl --user import-environment SSH_AUTH_SOCK`).
          On macOS, the agent of the login session is used.

          See {command}`journalctl --user -u tt-sync` (Linux) or
          {file}`~/Library/Logs/tt-sync.log` (macOS) for the outcome.
        '';
      };

      interval = mkOption {
        type = types.str;
        default = "hourly";
        example = "*:0/15";
        description = ''
          How often {command}`tt sync` runs.

          On Linux this is a systemd calendar event (the timer's
          `OnCalendar=`), see {manpage}`systemd.time(7)`; runs missed while
          the machine was off or asleep are caught up at the next boot.

          ${lib.hm.darwin.intervalDocumentation} launchd runs a sync missed
          during sleep when the Mac wakes.
        '';
      };
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions = [
        {
          assertion = lib.all (r: !(lib.hasPrefix "-" r.alias)) cfg.remotes;
          message = "programs.tt.remotes: an alias must not start with '-' (ssh would read it as an option).";
        }
        {
          assertion = lib.allUnique (map (r: r.alias) cfg.remotes);
          message = "programs.tt.remotes: each alias may be given only once.";
        }
      ];

      home.packages = [ cfg.package ];

      xdg.configFile."tt/config.toml" = mkIf (settings != { }) { source = configFile; };
    }

    (mkIf (cfg.label != null) {
      # tt init reads config.toml, which linkGeneration puts in place, and
      # writes machine.json; `run` honours dry runs.
      home.activation.ttInit = lib.hm.dag.entryAfter [ "linkGeneration" ] ''
        run --quiet env ${
          lib.concatMapStringsSep " " lib.escapeShellArg (lib.mapAttrsToList (k: v: "${k}=${v}") xdgEnv)
        } ${tt} init --label ${lib.escapeShellArg cfg.label}
      '';
    })

    (mkIf cfg.enableTmuxIntegration {
      assertions = [
        {
          assertion = !lib.hasInfix "'" profileTt;
          message = "programs.tt.enableTmuxIntegration: the tmux hooks cannot call ${profileTt}, whose path holds a single quote.";
        }
      ];
      programs.tmux.extraConfig = ''
        source-file ${hookFile}
      '';
      xdg.configFile."tt/tmux.conf".source = hookFile;
    })

    (mkIf cfg.sync.timer {
      # launchd takes only the named intervals.
      assertions = [
        (lib.hm.darwin.assertInterval "programs.tt.sync.interval" cfg.sync.interval pkgs)
      ];

      # Home Manager uses the systemd units on Linux and the launchd agent on
      # macOS, and ignores the others.
      systemd.user.services.tt-sync = {
        # No ordering after network-online.target: a user manager cannot
        # see system targets. A remote that cannot be reached fails alone
        # and is retried at the next run.
        Unit = {
          Description = "Pull tt events from the remotes";
        }
        // lib.optionalAttrs (sshAgentUnit != null) {
          Wants = [ sshAgentUnit ];
          After = [
            sshAgentUnit
            "set-SSH_AUTH_SOCK.service"
          ];
        };
        Service = {
          Type = "oneshot";
          ExecStart = "${tt} sync";
          Environment = [ "PATH=${servicePath}" ] ++ lib.mapAttrsToList (k: v: "${k}=${v}") xdgEnv;
        };
      };

      systemd.user.timers.tt-sync = {
        Unit.Description = "Pull tt events from the remotes periodically";
        Timer = {
          OnCalendar = cfg.sync.interval;
          Persistent = true;
          Unit = "tt-sync.service";
        };
        Install.WantedBy = [ "timers.target" ];
      };

      launchd.agents.tt-sync = {
        enable = true;
        config = {
          ProgramArguments = [
            tt
            "sync"
          ];
          StartCalendarInterval = lib.hm.darwin.mkCalendarInterval cfg.sync.interval;
          EnvironmentVariables = {
            PATH = servicePath;
          }
          // xdgEnv;
          ProcessType = "Background";
          StandardOutPath = "${config.home.homeDirectory}/Library/Logs/tt-sync.log";
          StandardErrorPath = "${config.home.homeDirectory}/Library/Logs/tt-sync.log";
        };
      };
    })
  ]);
}
