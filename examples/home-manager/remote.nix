# tt on a remote dev server: records tmux pane focus (and Claude Code
# activity, read from its logs at export time) for the hub to pull.
#
# Use it next to the module from tt's flake, as in hub.nix.
{
  programs.tt = {
    enable = true;

    # Creates the machine identity on the first activation; later
    # activations only update the label. The hub shows this name unless it
    # gives the remote a label of its own.
    label = "devbox";

    enableTmuxIntegration = true;
  };

  # This server's tmux.conf is not managed by Home Manager, so nothing reads
  # programs.tmux.extraConfig here. Instead, add this line to ~/.tmux.conf:
  #
  #   source-file ~/.config/tt/tmux.conf
  #
  # (With `programs.tmux.enable = true;` that step is done for you.)
}
