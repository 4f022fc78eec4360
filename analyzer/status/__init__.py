"""``woaport status``: which projects publish win_arm64 wheels, per target Python."""
