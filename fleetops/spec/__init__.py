"""The fleet file: models, loading with line-numbered errors, the dependency graph."""
