"""The anonymize stage in a forked child, so that its slow import overlaps collection for real.

Importing scrubadub costs about 0.3 s of CPU. In a thread of the collecting process it competes
with collection for the GIL (collection is partly CPU-bound Python: parsing ELF files, postconf
output, logs), so little of it overlapped. A child forked before collection imports it on
another CPU, then waits for the collected report on a pipe, anonymizes it and sends the result
back. The child never writes to stdout or stderr and ignores Ctrl-C (the parent handles it; when
the parent closes the pipe, the child ends).
"""

from __future__ import annotations

import logging
import os
import pickle
import traceback
from typing import Any

from postfinger_py.anonymize import AnonResult, AnonSettings, anonymize, preload
from postfinger_py.anonymize.parallel import (
    can_fork,
    child_ignores_ctrl_c,
    end_child,
    hold_ctrl_c,
    let_ctrl_c,
)
from postfinger_py.errors import PostfingerError
from postfinger_py.model import Report

__all__ = ["ForkedAnonymizer", "can_fork"]

log = logging.getLogger(__name__)


class ForkedAnonymizer:
    """anonymize(report, settings) run in a child started now; call close() in every case."""

    def __init__(self, settings: AnonSettings) -> None:
        self.settings = settings
        mask = hold_ctrl_c()
        fds: list[int] = []
        try:
            fds += os.pipe()
            fds += os.pipe()
            pid = os.fork()
        except OSError:
            for fd in fds:
                os.close(fd)
            let_ctrl_c(mask)
            raise
        req_r, req_w, res_r, res_w = fds
        if pid == 0:  # the child: never returns
            child_ignores_ctrl_c(mask)
            os.close(req_w)
            os.close(res_r)
            _child(req_r, res_w, settings)
        os.close(req_r)
        os.close(res_w)
        self.pid: int | None = pid
        self._req_w: int | None = req_w
        self._res_r: int | None = res_r
        self.used_child = False  # whether the last result came from the child
        try:
            let_ctrl_c(mask)  # a Ctrl-C held back since the fork arrives here
        except BaseException:
            self.close()
            raise

    def anonymize(self, report: Report) -> AnonResult:
        """The child's result; if the child is gone, the same work done here instead."""
        payload = b""
        try:
            assert self._req_w is not None and self._res_r is not None
            data = pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(self._req_w, "wb") as fh:  # closing it is the child's end of input
                self._req_w = None
                fh.write(data)
            with os.fdopen(self._res_r, "rb") as fh:
                self._res_r = None
                payload = fh.read()
        except Exception as exc:  # noqa: BLE001 - unreachable child, unpicklable report
            log.debug("the anonymizer process could not be reached: %s", exc)
            self.close()  # the child may still wait for input: end it rather than wait for it
        self._reap()
        try:
            status, value, child_traceback = pickle.loads(payload)
        except Exception:  # noqa: BLE001 - no result, or one cut short (the child was killed)
            log.debug("the anonymizer process gave no result; anonymizing in this process")
            return anonymize(report, self.settings)
        if status == "ok":
            self.used_child = True
            return value  # type: ignore[no-any-return]
        log.debug("in the anonymizer process:\n%s", child_traceback)
        raise value

    def close(self) -> None:
        """Release the child whether or not it was used (a second call does nothing)."""
        for name in ("_req_w", "_res_r"):
            fd = getattr(self, name)
            if fd is not None:
                os.close(fd)
                setattr(self, name, None)
        self._reap(kill=True)  # unused (an error, Ctrl-C): no need to wait for its work

    def _reap(self, kill: bool = False) -> None:
        if self.pid is not None:
            end_child(self.pid, kill)
            self.pid = None


def _child(req_r: int, res_w: int, settings: AnonSettings) -> None:
    code = 0
    try:
        try:
            preload()
        except Exception:  # noqa: BLE001 - the real use below reports it
            pass
        with os.fdopen(req_r, "rb") as fh:
            data = fh.read()
        if data:
            try:
                payload: Any = ("ok", anonymize(pickle.loads(data), settings), "")
                out = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # noqa: BLE001 - every failure goes to the parent
                out = pickle.dumps(("error", _portable(exc), traceback.format_exc()))
            with os.fdopen(res_w, "wb") as fh:
                fh.write(out)
    except BaseException:  # noqa: BLE001 - a child must never run the parent's code paths
        code = 1
    finally:
        os._exit(code)


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else one that says what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        if isinstance(exc, PostfingerError):
            return PostfingerError(exc.message, exc.status)
        return RuntimeError(f"{type(exc).__name__}: {exc}")
