"""`python -m service` runs the same command as `newsindex`."""

from service.cli import cli

cli(prog_name="newsindex")
