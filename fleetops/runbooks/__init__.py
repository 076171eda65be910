"""Built-in runbooks: ASL definitions and the task handlers they name."""
