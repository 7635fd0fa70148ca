# Home Manager module for tt: `programs.tt`.
#
# The flake exports this file as `homeManagerModules.default` (also `.tt`),
# wrapped so that `programs.tt.package` defaults to the flake's own build.
# Imported on its own, the default is `pkgs.tt`, which is ours only when the
# flake's `overlays.default` is applied.
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
    mkPackageOption
    types
    ;

  cfg = config.programs.tt;
  tomlFormat = pkgs.formats.toml { };
  tt = lib.getExe cfg.package;

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

  hookFile = "${cfg.package}/share/tt/tmux.conf";

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

    package = mkPackageOption pkgs "tt" { };

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
          Whether to run {command}`tt sync` periodically from a systemd user
          timer. Meant for the hub; Linux only.

          The service runs without a terminal, so every remote must be
          reachable without a prompt: a key without passphrase, or an SSH
          agent whose socket the systemd user manager knows
          ({command}`systemctl --user import-environment SSH_AUTH_SOCK`).
          See {command}`journalctl --user -u tt-sync` for the outcome.
        '';
      };

      interval = mkOption {
        type = types.str;
        default = "hourly";
        example = "*:0/15";
        description = ''
          How often the timer runs {command}`tt sync`, as a systemd calendar
          event (the timer's `OnCalendar=`). See
          {manpage}`systemd.time(7)` for the format. Runs missed while the
          machine was off or asleep are caught up at the next boot.
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

      xdg.configFile."tt/config.toml" = mkIf (settings != { }) {
        source = tomlFormat.generate "tt-config.toml" settings;
      };
    }

    (mkIf (cfg.label != null) {
      # tt init writes machine.json; writeBoundary is where activation
      # starts changing files, and `run` honours dry runs.
      home.activation.ttInit = lib.hm.dag.entryAfter [ "writeBoundary" ] ''
        run --quiet ${tt} init --label ${lib.escapeShellArg cfg.label}
      '';
    })

    (mkIf cfg.enableTmuxIntegration {
      programs.tmux.extraConfig = ''
        source-file ${hookFile}
      '';
      xdg.configFile."tt/tmux.conf".source = hookFile;
    })

    (mkIf cfg.sync.timer {
      assertions = [
        (lib.hm.assertions.assertPlatform "programs.tt.sync.timer" pkgs lib.platforms.linux)
      ];

      systemd.user.services.tt-sync = {
        # No ordering after network-online.target: a user manager cannot
        # see system targets. A remote that cannot be reached fails alone
        # and is retried at the next run.
        Unit.Description = "Pull tt events from the remotes";
        Service = {
          Type = "oneshot";
          ExecStart = "${tt} sync";
          # tt starts `ssh` from PATH (see sync.ssh_command). The user
          # manager's PATH is minimal, so offer the usual profile locations,
          # with the packaged OpenSSH last as a fallback.
          Environment = [
            "PATH=%h/.nix-profile/bin:/etc/profiles/per-user/%u/bin:/run/current-system/sw/bin:/usr/local/bin:/usr/bin:/bin:${lib.makeBinPath [ pkgs.openssh ]}"
          ];
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
    })
  ]);
}
