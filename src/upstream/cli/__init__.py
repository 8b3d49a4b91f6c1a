"""The `upstream` command line."""
