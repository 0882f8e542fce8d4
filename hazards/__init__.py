"""双重预防: hazards (隐患) from finding to verified remediation (docs/hazards.md)."""
