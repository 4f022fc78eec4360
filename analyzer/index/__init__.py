"""Package-index access (PEP 503 HTML and PEP 691 JSON simple API)."""
