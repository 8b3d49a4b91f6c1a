"""`python -m upstream` is the `upstream` command."""

from upstream.cli.main import main

main()
