"""``python -m prefectlite``: the ``prefectlite`` command line."""

from prefectlite.cli import cli

if __name__ == "__main__":
    cli(prog_name="prefectlite")
