"""woaport survey: every project that needs a port, its blocker, a verified patch and a proof."""
