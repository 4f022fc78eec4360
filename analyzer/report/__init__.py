"""Output formats: text, JSON, SARIF 2.1.0, markdown. Each is a pure function of a ScanResult."""
