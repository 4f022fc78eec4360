"""``woaport fix``: patches that resolve findings, each fixer tied to the rule IDs it
resolves; everything else is listed as manual work with the suggested fallback."""
