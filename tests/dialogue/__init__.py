"""Dialogue tests (a package: its module names must not clash with other test folders)."""
