"""The one way to run an external command: argv lists, C locale, a timeout, results not exceptions."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from postfinger_py.errors import PostfingerError

DEFAULT_TIMEOUT = 30.0
# Enough for `postqueue -j` of a large queue; anything beyond is cut and said so.
DEFAULT_MAX_OUTPUT = 512 * 1024 * 1024

# Where Postfix and the system tools live; a minimal PATH keeps runs reproducible.
SAFE_PATH = "/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin:/usr/local/bin"


@dataclass(frozen=True)
class CommandResult:
    """What one command did. A missing binary or a timeout is a result, not an exception."""

    argv: tuple[str, ...]
    status: int | None  # exit status; None when it never ran or was killed
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    timed_out: bool = False
    missing: bool = False  # the program does not exist (or is not executable)
    error: str = ""  # why it could not run, when it could not

    @property
    def ok(self) -> bool:
        return self.status == 0 and not self.timed_out and not self.missing

    @property
    def program(self) -> str:
        return self.argv[0] if self.argv else ""

    def describe_failure(self) -> str:
        """One line saying why this command gave no usable output."""
        cmd = " ".join(self.argv)
        if self.missing:
            return f"`{cmd}`: {self.error or 'command not found'}"
        if self.timed_out:
            return f"`{cmd}` did not finish within its time limit ({self.duration:.0f} s)"
        first = next((ln for ln in self.stderr.splitlines() if ln.strip()), "")
        why = f": {first.strip()}" if first else ""
        return f"`{cmd}` exited with status {self.status}{why}"


class Runner(Protocol):
    """Anything that can run a command: the live runner, a recorder, a replayer."""

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        stdin: bytes | None = None,
    ) -> CommandResult: ...


# Process groups of the commands running now; on an interrupt the process ends with os._exit
# while collector threads may still wait on a command, so their groups are killed from here.
_LIVE_GROUPS: set[int] = set()
_LIVE_LOCK = threading.Lock()


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_running() -> None:
    """Kill every command still running, with everything it started (used on the way out)."""
    with _LIVE_LOCK:
        groups = list(_LIVE_GROUPS)
    for pgid in groups:
        _kill_group(pgid)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


@dataclass
class SubprocessRunner:
    """Runs commands for real, with LC_ALL=C and a fixed PATH."""

    extra_env: Mapping[str, str] = field(default_factory=dict)
    max_output: int = DEFAULT_MAX_OUTPUT

    def _env(self) -> dict[str, str]:
        env = {"LC_ALL": "C", "LANG": "C", "PATH": SAFE_PATH}
        for key in ("HOME", "TZ", "MAIL_CONFIG", "SYSTEMD_PAGER"):
            if key in os.environ:
                env[key] = os.environ[key]
        env["SYSTEMD_PAGER"] = ""
        env.update(self.extra_env)
        return env

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        stdin: bytes | None = None,
    ) -> CommandResult:
        args = tuple(argv)
        start = time.monotonic()
        try:
            # Its own session and process group: a timeout or Ctrl-C kills what the command
            # started too (a sendmail script's `sleep`), which would otherwise hold the pipes.
            proc = subprocess.Popen(
                list(args),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._env(),
                close_fds=True,
                start_new_session=True,
            )
        except FileNotFoundError:
            return CommandResult(args, None, missing=True, error="command not found")
        except PermissionError as exc:
            return CommandResult(args, None, missing=True, error=f"cannot execute: {exc.strerror}")
        except OSError as exc:
            return CommandResult(args, None, missing=True, error=f"cannot execute: {exc.strerror}")
        with _LIVE_LOCK:
            _LIVE_GROUPS.add(proc.pid)
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            out, err = _drain(proc)
            return CommandResult(
                args,
                None,
                _decode(out[: self.max_output]),
                _decode(err[: self.max_output]),
                time.monotonic() - start,
                timed_out=True,
            )
        except BaseException:
            # Ctrl-C or similar: never leave a child (or its children) running behind us.
            _kill_group(proc.pid)
            proc.wait()
            raise
        finally:
            with _LIVE_LOCK:
                _LIVE_GROUPS.discard(proc.pid)
        return CommandResult(
            args,
            proc.returncode,
            _decode(out[: self.max_output]),
            _decode(err[: self.max_output]),
            time.monotonic() - start,
        )


def _drain(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """What a killed command wrote; a descendant that left the group must not hold us up."""
    try:
        return proc.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        proc.wait()
        return b"", b""


def require(result: CommandResult, what: str) -> CommandResult:
    """Turn a failed essential command into an error the section reports.

    (Here, beside CommandResult, so that collectors and findings share it without importing
    each other.)
    """
    if result.missing:
        raise PostfingerError(
            f"cannot {what}: {result.program} is not installed or not in PATH "
            "(is Postfix installed on this machine?)"
        )
    if not result.ok:
        raise PostfingerError(f"cannot {what}: {result.describe_failure()}")
    return result
