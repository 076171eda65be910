"""Amazon States Language interpreter: parse, validate, run durably. Knows nothing of fleets."""
