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
  # The sync timer is refused off Linux.
  isLinux ? true,
}:

let
  hookFile = "${ttPackage}/share/tt/tmux.conf";
  hasFile = name: config: config.xdg.configFile ? ${name};
  failedAssertions = config: map (a: a.message) (lib.filter (a: !a.assertion) config.assertions);
  fact = what: holds: { inherit what holds; };
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
        (fact "tmux is left alone" (!lib.hasInfix "tt" config.programs.tmux.extraConfig))
        (
          if isLinux then
            fact "no assertion fails" (failedAssertions config == [ ])
          else
            fact "the timer is refused off Linux" (
              lib.any (lib.hasInfix "programs.tt.sync.timer") (failedAssertions config)
            )
        )
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
    };
    configToml = null;
    facts =
      config:
      let
        init = config.home.activation.ttInit or { };
      in
      [
        (fact "the package is installed" (lib.elem ttPackage config.home.packages))
        (fact "tmux sources the packaged hooks" (
          lib.hasInfix "source-file ${hookFile}\n" config.programs.tmux.extraConfig
        ))
        (fact "the hooks are linked for a tmux.conf not managed here" (
          (config.xdg.configFile."tt/tmux.conf".source or null) == hookFile
        ))
        (fact "activation runs tt init with the label" (
          lib.hasInfix "${ttPackage}/bin/tt init --label 'dev box'" (init.data or "")
        ))
        (fact "tt init runs after writeBoundary" (init.after or [ ] == [ "writeBoundary" ]))
        (fact "no timer exists without sync.timer" (!config.systemd.user.timers ? tt-sync))
        (fact "no assertion fails" (failedAssertions config == [ ]))
      ];
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
      (fact "tmux sources the packaged hooks" (
        lib.hasInfix "source-file ${hookFile}\n" config.programs.tmux.extraConfig
      ))
      (fact "no assertion fails" (failedAssertions config == [ ]))
    ];
  };

  example-remote = {
    module = ../../examples/home-manager/remote.nix;
    configToml = null;
    facts = config: [
      (fact "the package is installed" (lib.elem ttPackage config.home.packages))
      (fact "the hooks are linked for a tmux.conf not managed here" (
        (config.xdg.configFile."tt/tmux.conf".source or null) == hookFile
      ))
      (fact "activation runs tt init with the label" (
        lib.hasInfix "${ttPackage}/bin/tt init --label devbox" (config.home.activation.ttInit.data or "")
      ))
      (fact "no assertion fails" (failedAssertions config == [ ]))
    ];
  };
}
