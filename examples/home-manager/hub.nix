# tt on the hub: the laptop that pulls every remote's events over ssh.
#
# Use it next to the module from tt's flake, for example:
#
#   homeConfigurations.me = home-manager.lib.homeManagerConfiguration {
#     pkgs = nixpkgs.legacyPackages.x86_64-linux;
#     modules = [
#       tt.homeModules.default
#       ./hub.nix
#       { home.username = "me"; home.homeDirectory = "/home/me"; home.stateVersion = "25.11"; }
#     ];
#   };
{
  programs.tt = {
    enable = true;

    # The laptop is also a workstation: give it an identity and record its
    # own tmux sessions, so `tt sync` counts them too. A hub that is only a
    # hub can leave both out.
    label = "laptop";
    enableTmuxIntegration = true;

    # SSH destinations, as `ssh` would take them (aliases of ~/.ssh/config
    # work). Each remote needs tt on the PATH of a non-interactive ssh
    # session; otherwise set settings.sync.remote_command to its full path.
    remotes = [
      { alias = "devbox"; }
      {
        alias = "me@gpu.internal";
        label = "gpu";
      }
      {
        # Kept for `tt sync old-box`, skipped by a plain `tt sync`.
        alias = "old-box";
        enabled = false;
      }
    ];

    # Only the keys to change; everything else keeps tt's default.
    settings = {
      sync = {
        parallelism = 4;
        connect_timeout = "5s";
      };
      allocation.attention_window = "3m";
    };

    # Pull every hour: a systemd user timer on Linux, a launchd agent on
    # macOS. (On Linux any systemd calendar event works, e.g. "*:0/30";
    # macOS takes hourly, daily, weekly, ...)
    sync.timer = true;
    sync.interval = "hourly";
  };

  # With Home Manager managing tmux, the hooks are sourced from the
  # generated tmux.conf.
  programs.tmux.enable = true;
}
