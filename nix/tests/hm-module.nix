# What programs.tt must do, independent of where Home Manager comes from.
#
# Each case is a configuration plus the facts that must hold for it. A runner
# (nix/tests/run-stand-ins.nix offline, nix/checks.nix in the flake) evaluates
# the configuration and reports every fact that does not hold; `configToml` is
# what $XDG_CONFIG_HOME/tt/config.toml must parse back to (null: no file),
# compared by the runner because reading a built file differs between them.
{
  lib,
  ttPackage,
  # macOS takes only named sync intervals.
  isLinux ? true,
}:

let
  tt = "${ttPackage}/bin/tt";
  packagedHooks = "${ttPackage}/share/tt/tmux.conf";
  hookFileOf = config: config.xdg.configFile."tt/tmux.conf".source or null;
  hasFile = name: config: config.xdg.configFile ? ${name};
  failedAssertions = config: map (a: a.message) (lib.filter (a: !a.assertion) config.assertions);
  fact = what: holds: { inherit what holds; };
  profileTt = config: "${config.home.profileDirectory}/bin/tt";

  # What the sync service and agent get for ssh and for tt's files.
  environmentFacts =
    what: env:
    { config }:
    [
      (fact "${what}: PATH starts with the profile's bin" (
        lib.hasPrefix "${config.home.profileDirectory}/bin:" (env.PATH or "")
      ))
      (fact "${what}: the XDG directories are config.xdg's" (
        env.XDG_CONFIG_HOME or null == config.xdg.configHome
        && env.XDG_DATA_HOME or null == config.xdg.dataHome
        && env.XDG_STATE_HOME or null == config.xdg.stateHome
      ))
    ];

  # systemd's Environment= list as an attribute set.
  systemdEnv =
    service:
    lib.listToAttrs (
      map (
        kv:
        let
          parts = lib.splitString "=" kv;
        in
        lib.nameValuePair (lib.head parts) (lib.concatStringsSep "=" (lib.tail parts))
      ) (lib.toList (service.Service.Environment or [ ]))
    );

  # The hooks file a configuration links and sources.
  hookFacts = config: [
    (fact "the hooks are linked for a tmux.conf not managed here" (hookFileOf config != null))
    (fact "the hooks are not the package's own file, which names its store path" (
      hookFileOf config != null && toString (hookFileOf config) != packagedHooks
    ))
    # Offline, the stand-in runCommand keeps the script; the flake's check
    # reads the built file.
    (fact "the hooks call the profile's bin/tt" (
      (hookFileOf config) ? script
      -> lib.hasInfix ''"${profileTt config}" ingest'' (hookFileOf config).script
    ))
  ];
in
{
  disabled = {
    module = {
      programs.tt.label = "devbox";
      programs.tt.enableTmuxIntegration = true;
      programs.tt.sync.timer = true;
    };
    configToml = null;
    facts = config: [
      (fact "the package is not installed" (!lib.elem ttPackage config.home.packages))
      (fact "no tt file is written" (!hasFile "tt/tmux.conf" config))
      (fact "tmux is left alone" (!lib.hasInfix "tt" config.programs.tmux.extraConfig))
      (fact "activation does not run tt" (!config.home.activation ? ttInit))
      (fact "no timer exists" (!config.systemd.user.timers ? tt-sync))
      (fact "no launchd agent exists" (!config.launchd.agents ? tt-sync))
    ];
  };

  enabled-alone = {
    module.programs.tt.enable = true;
    configToml = null;
    facts = config: [
      (fact "the package is installed" (lib.elem ttPackage config.home.packages))
      (fact "tmux is left alone" (!lib.hasInfix "tt" config.programs.tmux.extraConfig))
      (fact "activation does not run tt init without a label" (!config.home.activation ? ttInit))
      (fact "no timer exists without sync.timer" (!config.systemd.user.timers ? tt-sync))
      (fact "no service exists without sync.timer" (!config.systemd.user.services ? tt-sync))
      (fact "no launchd agent exists without sync.timer" (!config.launchd.agents ? tt-sync))
      (fact "no assertion fails" (failedAssertions config == [ ]))
    ];
  };

  hub = {
    module.programs.tt = {
      enable = true;
      settings = {
        sync.parallelism = 4;
        allocation.attention_window = "3m";
        remotes = [ { alias = "old-box"; } ];
      };
      remotes = [
        { alias = "devbox"; }
        {
          alias = "me@10.0.0.5";
          label = "gpu";
          enabled = false;
        }
      ];
      sync.timer = true;
      sync.interval = "*:0/15";
    };
    configToml = {
      sync.parallelism = 4;
      allocation.attention_window = "3m";
      remotes = [
        { alias = "old-box"; }
        {
          alias = "devbox";
          enabled = true;
        }
        {
          alias = "me@10.0.0.5";
          label = "gpu";
          enabled = false;
        }
      ];
    };
    facts =
      config:
      let
        timer = config.systemd.user.timers.tt-sync or { };
        service = config.systemd.user.services.tt-sync or { };
      in
      [
        (fact "the package is installed" (lib.elem ttPackage config.home.packages))
        (fact "the timer exists" (timer != { }))
        (fact "the timer fires at sync.interval" (timer.Timer.OnCalendar or null == "*:0/15"))
        (fact "the timer catches up missed runs" (timer.Timer.Persistent or false))
        (fact "the timer starts with the user session" (timer.Install.WantedBy or [ ] == [ "timers.target" ]))
        # Home Manager turns ExecStart into a list; the stand-ins keep it as given.
        (fact "the service runs tt sync" (
          lib.toList (service.Service.ExecStart or [ ]) == [ "${ttPackage}/bin/tt sync" ]
        ))
        (fact "the service is a oneshot" (service.Service.Type or null == "oneshot"))
        (fact "the service waits for no ssh agent when none is configured" (!(service.Unit ? After)))
        (fact "tmux is left alone" (!lib.hasInfix "tt" config.programs.tmux.extraConfig))
        (
          if isLinux then
            fact "no assertion fails" (failedAssertions config == [ ])
          else
            fact "an interval launchd cannot take is refused" (
              lib.any (lib.hasInfix "programs.tt.sync.interval") (failedAssertions config)
            )
        )
      ]
      ++ environmentFacts "the service" (systemdEnv service) { inherit config; };
  };

  # The periodic sync on a Mac hub: a launchd agent from the same option.
  hub-hourly = {
    module.programs.tt = {
      enable = true;
      remotes = [ { alias = "devbox"; } ];
      sync.timer = true;
    };
    configToml.remotes = [
      {
        alias = "devbox";
        enabled = true;
      }
    ];
    facts =
      config:
      let
        agent = config.launchd.agents.tt-sync or { };
        job = agent.config or { };
        intervals = job.StartCalendarInterval or [ ];
      in
      [
        (fact "the launchd agent is enabled" (agent.enable or false))
        (fact "the agent runs tt sync" (job.ProgramArguments or null == [ tt "sync" ]))
        (fact "the agent runs at minute 0 of every hour" (
          lib.length intervals == 1
          && (lib.head intervals).Minute or null == 0
          && (lib.head intervals).Hour or null == null
        ))
        (fact "the agent runs in the background" (job.ProcessType or null == "Background"))
        (fact "the agent logs to ~/Library/Logs" (
          job.StandardErrorPath or null == "${config.home.homeDirectory}/Library/Logs/tt-sync.log"
        ))
        (fact "the systemd timer is hourly too" (
          config.systemd.user.timers.tt-sync.Timer.OnCalendar or null == "hourly"
        ))
        (fact "no assertion fails" (failedAssertions config == [ ]))
      ]
      ++ environmentFacts "the launchd agent" (job.EnvironmentVariables or { }) { inherit config; };
  };

  # With an agent module of Home Manager, the sync waits for its socket.
  hub-agent = {
    module = {
      sshAuthSock = {
        enable = true;
        systemd.socketProviderUnit = "gpg-agent-ssh.socket";
        initialization.bash = "export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/agent";
      };
      programs.tt = {
        enable = true;
        settings.remotes = [ { alias = "devbox"; } ];
        sync.timer = true;
      };
    };
    configToml.remotes = [ { alias = "devbox"; } ];
    facts =
      config:
      let
        unit = config.systemd.user.services.tt-sync.Unit or { };
      in
      [
        (fact "the service starts after the agent's socket" (
          lib.elem "gpg-agent-ssh.socket" (lib.toList (unit.After or [ ]))
        ))
        (fact "the service starts after SSH_AUTH_SOCK reaches systemd" (
          lib.elem "set-SSH_AUTH_SOCK.service" (lib.toList (unit.After or [ ]))
        ))
        (fact "the service wants the agent's socket" (
          lib.elem "gpg-agent-ssh.socket" (lib.toList (unit.Wants or [ ]))
        ))
      ];
  };

  remote = {
    module = {
      programs.tmux.enable = true;
      programs.tt = {
        enable = true;
        label = "dev box";
        enableTmuxIntegration = true;
      };
      # Not the default: tt init must get the directories Home Manager uses.
      xdg.dataHome = "/home/tester/data";
    };
    configToml = null;
    facts =
      config:
      let
        init = config.home.activation.ttInit or { };
      in
      [
        (fact "the package is installed" (lib.elem ttPackage config.home.packages))
        (fact "tmux sources the hooks" (
          lib.hasInfix "source-file ${toString (hookFileOf config)}\n" config.programs.tmux.extraConfig
        ))
        (fact "activation runs tt init with the label" (
          lib.hasInfix "${tt} init --label 'dev box'" (init.data or "")
        ))
        (fact "tt init runs after linkGeneration, which puts config.toml in place" (
          init.after or [ ] == [ "linkGeneration" ]
        ))
        (fact "tt init gets the XDG directories of config.xdg" (
          lib.all (d: lib.hasInfix d (init.data or "")) [
            "'XDG_CONFIG_HOME=${config.xdg.configHome}'"
            "'XDG_DATA_HOME=/home/tester/data'"
            "'XDG_STATE_HOME=${config.xdg.stateHome}'"
          ]
        ))
        (fact "no timer exists without sync.timer" (!config.systemd.user.timers ? tt-sync))
        (fact "no assertion fails" (failedAssertions config == [ ]))
      ]
      ++ hookFacts config;
  };

  settings-only = {
    module.programs.tt = {
      enable = true;
      settings.claude.projects_dir = "~/work/claude";
      settings.database_path = "~/tt.db";
    };
    configToml = {
      claude.projects_dir = "~/work/claude";
      database_path = "~/tt.db";
    };
    facts = config: [
      (fact "the package is installed" (lib.elem ttPackage config.home.packages))
      (fact "no assertion fails" (failedAssertions config == [ ]))
    ];
  };

  option-like-alias = {
    module.programs.tt = {
      enable = true;
      remotes = [ { alias = "-oProxyCommand=evil"; } ];
    };
    configToml = {
      remotes = [
        {
          alias = "-oProxyCommand=evil";
          enabled = true;
        }
      ];
    };
    facts = config: [
      (fact "an alias starting with '-' is refused" (
        lib.any (lib.hasInfix "must not start with '-'") (failedAssertions config)
      ))
    ];
  };

  duplicate-alias = {
    module.programs.tt = {
      enable = true;
      remotes = [
        { alias = "devbox"; }
        { alias = "devbox"; }
      ];
    };
    configToml = {
      remotes = [
        {
          alias = "devbox";
          enabled = true;
        }
        {
          alias = "devbox";
          enabled = true;
        }
      ];
    };
    facts = config: [
      (fact "a repeated alias is refused" (lib.any (lib.hasInfix "only once") (failedAssertions config)))
    ];
  };

  # The examples must keep working as the module changes.
  example-hub = {
    module = ../../examples/home-manager/hub.nix;
    configToml = {
      sync = {
        parallelism = 4;
        connect_timeout = "5s";
      };
      allocation.attention_window = "3m";
      remotes = [
        {
          alias = "devbox";
          enabled = true;
        }
        {
          alias = "me@gpu.internal";
          label = "gpu";
          enabled = true;
        }
        {
          alias = "old-box";
          enabled = false;
        }
      ];
    };
    facts = config: [
      (fact "the package is installed" (lib.elem ttPackage config.home.packages))
      (fact "tmux sources the hooks" (
        lib.hasInfix "source-file ${toString (hookFileOf config)}\n" config.programs.tmux.extraConfig
      ))
      (fact "the sync runs every hour, on Linux and macOS" (
        config.systemd.user.timers.tt-sync.Timer.OnCalendar or null == "hourly"
        && config.launchd.agents.tt-sync.enable or false
      ))
      (fact "no assertion fails" (failedAssertions config == [ ]))
    ]
    ++ hookFacts config;
  };

  example-remote = {
    module = ../../examples/home-manager/remote.nix;
    configToml = null;
    facts = config: [
      (fact "the package is installed" (lib.elem ttPackage config.home.packages))
      (fact "activation runs tt init with the label" (
        lib.hasInfix "${tt} init --label devbox" (config.home.activation.ttInit.data or "")
      ))
      (fact "no assertion fails" (failedAssertions config == [ ]))
    ]
    ++ hookFacts config;
  };
}
