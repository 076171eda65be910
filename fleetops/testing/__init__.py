"""Test helpers shipped with the package (fixtures other test suites reuse)."""
