"""Entry point for `python -m postfinger_py`."""

import sys

from postfinger_py.cli import run

if __name__ == "__main__":
    sys.exit(run())
