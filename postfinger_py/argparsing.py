"""The one argparse flavour every command uses: it writes to Env's streams and never exits.

Help and usage go to env.stdout / env.stderr (so tests and a replayed run see them), a bad
option is a UsageError (exit 2, one line naming the command's --help), and --help ends with
ParserExit, which cli.main turns into its status.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from postfinger_py.errors import UsageError

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

    from postfinger_py.env import Env


class ParserExit(Exception):
    """--help or --version was answered: end with this status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Parser(argparse.ArgumentParser):
    """argparse that writes to our streams and raises instead of exiting."""

    def __init__(self, *args: Any, env: Env, **kwargs: Any) -> None:
        self._env = env
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        if message:
            (self._env.stderr if file is sys.stderr else self._env.stdout).write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self._env.stderr.write(message)
        raise ParserExit(status)

    def error(self, message: str) -> NoReturn:
        raise UsageError(
            f"{self.prog}: {message} (see {self.prog} --help)"
            if self.prog != "postfinger"
            else f"{message} (see postfinger --help)"
        )


def add_config_dir(p: argparse.ArgumentParser, dest: str = "config_dir") -> None:
    """-c DIR / --config-dir DIR, spelled the same in every command."""
    p.add_argument(
        "-c",
        "--config-dir",
        dest=dest,
        metavar="DIR",
        help="Postfix configuration directory (postconf -c DIR)",
    )


def add_log_files(p: argparse.ArgumentParser) -> None:
    """--log-file FILE (repeatable), spelled and explained the same in logs and trace."""
    p.add_argument(
        "--log-file",
        metavar="FILE",
        action="append",
        default=[],
        help="read this log (plain or gzip) instead of finding it; repeatable, give them oldest first",
    )
