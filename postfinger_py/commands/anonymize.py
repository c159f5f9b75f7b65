"""`postfinger anonymize [FILE...]`: the report's anonymizer as a text filter, streamed in parts.

Two passes over the input, in parts of N lines: the first learns the site values each part
shows, the second replaces each part with the frozen engine and leak-checks it. Standard input
is spooled to a private temporary file so that it can be read twice; the output goes to a
private temporary file (or, with -o, to one beside FILE) and reaches standard output (or FILE)
only when every part was clean: a refusal prints nothing.
"""

from __future__ import annotations

import argparse
import codecs
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO

from postfinger_py.anonymize import PartFilter, add_anon_arguments, settings_from_args
from postfinger_py.anonymize.spill import SPILL_ENTRIES
from postfinger_py.argparsing import Parser, add_config_dir
from postfinger_py.env import Env
from postfinger_py.errors import PostfingerError, UsageError, os_error_words
from postfinger_py.model import Options
from postfinger_py.textbytes import decode_text

DEFAULT_PART_LINES = 20_000
# A part also ends at this many bytes (at a line end): long lines do not make a part huge. What a
# part costs while it is replaced and checked is many times its size (copies, memos, the forked
# half): 2 MiB took 8-16 MiB less than 4 MiB at the same speed, and is still done in two halves
# (parallel.PARALLEL_MIN_CHARS).
PART_MAX_BYTES = 2 * 1024 * 1024
# A part that ends in a quoted-printable soft line break (`=` at the line end) takes the next
# line too, up to this many more: the engine joins a name cut by one across the two lines.
_SOFT_BREAK_LINES = 64
# Learning sees the last lines of the previous part again: an AUTH challenge (`334 ...`) at the
# end of one part has its answer (the next line, or one of the two after it) in the next.
_LEARN_OVERLAP_LINES = 4
# Replacing again from the first part (after a leak check taught the engine a domain in a later
# part) settles in one more round in practice; a bound keeps a pathological input finite.
_MAX_ROUNDS = 8
_COPY_CHUNK = 1024 * 1024

DESCRIPTION = (
    "Anonymize text you want to post (logs, mail headers, config snippets) the way postfinger "
    "anonymizes its report: it learns this site's names, addresses and secrets from the local "
    "Postfix and from the text, replaces them consistently (use the same --anon-key as for the "
    "report to get the same replacements), and refuses to print anything if any original it "
    "replaced survives. Any size: read twice in parts of --part-size lines (standard input is "
    "first copied to a private temporary file). The replacement chosen for each distinct value, "
    "and each name learned (domains, user and host names), is kept on disk beside it once there "
    "are many (--memory-entries), so memory stays bounded on a long log however many distinct "
    "senders it has."
)
EPILOG = """\
examples:
  postfinger anonymize < excerpt.txt           a pasted excerpt, on standard output
  postfinger anonymize --anon-key ~/.postfinger.key /var/log/mail.log -o mail-anon.log
                                               a whole log, the replacements of your reports
  postfinger anonymize -c /etc/postfix-out mail.log    learn another Postfix instance's site

exit status: 0 the text was anonymized and written, 1 error (an input could not be read, the
  output could not be written: the message says why), 2 usage, 4 refused: an original value
  survived anonymization (nothing was written)
"""


def build_parser(env: Env) -> argparse.ArgumentParser:
    p = Parser(prog="postfinger anonymize", description=DESCRIPTION, epilog=EPILOG, env=env)
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="files to anonymize, in this order (default, and `-`: standard input)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (atomically, mode 0600) instead of standard output",
    )
    p.add_argument(
        "--part-size",
        type=int,
        default=DEFAULT_PART_LINES,
        metavar="LINES",
        help=f"read the input in parts of this many lines (default "
        f"{DEFAULT_PART_LINES}; a part also ends at {PART_MAX_BYTES // 2**20} MiB): "
        "what is read and replaced at once is a part; input of one part gives "
        "exactly the one-piece result",
    )
    p.add_argument(
        "--memory-entries",
        dest="spill_entries",
        type=int,
        default=SPILL_ENTRIES,
        metavar="N",
        help=f"keep about N remembered replacements and learned names in memory (default "
        f"{SPILL_ENTRIES}); between parts, more move to a private file beside the spooled input (in TMPDIR), "
        "so they do not grow in memory however long the log; the output is the same",
    )
    add_config_dir(p)
    add_anon_arguments(p)
    return p


@dataclass(frozen=True)
class _Input:
    """One input as the second pass reads it again: where, and how many bytes the first read."""

    name: str  # for messages
    path: str
    size: int


def main(argv: list[str], env: Env) -> int:
    args = build_parser(env).parse_args(argv)
    settings = settings_from_args(args)
    if settings.map_file and settings.mode != "on":
        raise UsageError("--anon-map needs --anonymize=on (the default)")
    if args.part_size < 1:
        raise UsageError("--part-size LINES: LINES must be 1 or more")
    if args.spill_entries < 1:
        raise UsageError("--memory-entries N: N must be 1 or more")
    if args.output:
        from postfinger_py.outputs import check_output

        check_output(args.output)  # before reading anything: a device or a link is refused
    ctx = env.live_context(Options(config_dir=args.config_dir))
    with tempfile.TemporaryDirectory(prefix="postfinger-anonymize-") as spool_dir:
        filt = PartFilter(ctx, settings, spill_dir=spool_dir, spill_entries=args.spill_entries)
        try:
            _run(env, args, filt, spool_dir)
        finally:
            filt.close()  # before the directory (and the state file in it) is removed
    return 0


def _run(env: Env, args: argparse.Namespace, filt: PartFilter, spool_dir: str) -> None:
    inputs = [
        _spool(env, spool_dir) if p == "-" else _Input(p, p, -1) for p in _stdin_once(args.files or ["-"])
    ]
    inputs = [_learn(filt, i, args.part_size) for i in inputs]

    def fill(out: BinaryIO) -> None:
        _replace_all(filt, inputs, args.part_size, out)
        filt.write_map()

    if args.output:
        from postfinger_py.outputs import write_private_from

        write_private_from(args.output, fill)
    else:
        # tempfile's files are mode 0600; this one has no name at all where it can.
        with tempfile.TemporaryFile(prefix="postfinger-anonymize-") as out:
            fill(out)
            out.seek(0)
            _copy_to_stdout(out, env)


def _stdin_once(paths: list[str]) -> list[str]:
    """Standard input can be read once: `-` named twice is an error, as it would be empty."""
    if paths.count("-") > 1:
        raise UsageError("standard input (-) can be named only once")
    return paths


def _spool(env: Env, directory: str) -> _Input:
    """Copy standard input to a file (mode 0600, in a private directory) to read it twice."""
    fd, path = tempfile.mkstemp(prefix="stdin-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            shutil.copyfileobj(env.stdin, fh, _COPY_CHUNK)
    except OSError as exc:
        raise PostfingerError(
            f"cannot keep standard input in {directory}: "
            f"{os_error_words(exc)} (set TMPDIR to a directory with room)"
        ) from None
    return _Input("standard input", path, -1)


def _open(item: _Input) -> BinaryIO:
    try:
        return open(item.path, "rb")
    except OSError as exc:
        raise PostfingerError(
            f"cannot read {item.name}: {os_error_words(exc)}; check the file name"
        ) from None


def _parts(fh: BinaryIO, item: _Input, part_lines: int) -> Iterator[tuple[int, bytes]]:
    """(number of the first line, bytes) of each part of the input: up to `part_lines` lines or
    PART_MAX_BYTES, cut only at a line end, and up to item.size bytes when that is known."""
    left = item.size if item.size >= 0 else -1
    line_no = 1
    try:
        while left != 0:
            lines: list[bytes] = []
            nbytes = 0
            while len(lines) < part_lines and nbytes < PART_MAX_BYTES and left != 0:
                line = fh.readline(left)
                if not line:
                    left = 0
                    break
                lines.append(line)
                nbytes += len(line)
                left -= len(line) if left > 0 else 0
            extra = 0
            while lines and lines[-1].endswith(b"=\n") and left != 0 and extra < _SOFT_BREAK_LINES:
                line = fh.readline(left)
                if not line:
                    break
                lines.append(line)
                left -= len(line) if left > 0 else 0
                extra += 1
            if not lines:
                return
            yield line_no, b"".join(lines)
            line_no += len(lines)
    except OSError as exc:
        raise PostfingerError(f"cannot read {item.name}: {os_error_words(exc)}") from None


def _decode(data: bytes) -> str:
    # Invalid UTF-8 as the Latin-1 characters it is (a control byte as U+FFFD), so a Latin-1
    # name is one word, replaced whole (textbytes.py). (A part ends at a line end, and no UTF-8
    # sequence holds a newline byte: the same as decoding all.)
    return decode_text(data)


def _learn(filt: PartFilter, item: _Input, part_lines: int) -> _Input:
    """Pass 1: learn from every part; the input with the size read (the second pass reads as
    much: a log that grows meanwhile gets no lines the engine has not learned from)."""
    size = 0
    tail = ""
    with _open(item) as fh:
        for _, data in _parts(fh, item, part_lines):
            size += len(data)
            text = _decode(data)
            filt.learn(tail + text)
            tail = _last_lines(text, _LEARN_OVERLAP_LINES)
    return _Input(item.name, item.path, size)


def _last_lines(text: str, count: int) -> str:
    """The last `count` lines of a text (ending in a newline); none if they are very long
    (no AUTH dialogue line is)."""
    cut = len(text) - 1 if text.endswith("\n") else len(text)
    for _ in range(count):
        cut = text.rfind("\n", 0, cut)
        if cut < 0:
            break
    tail = text[cut + 1 :]
    return tail if len(tail) <= 64 * 1024 else ""


def _replace_all(filt: PartFilter, inputs: list[_Input], part_lines: int, out: BinaryIO) -> None:
    """Pass 2: every part replaced and checked, written to `out`; again from the start when a
    leak check taught the engine something after the first part (so every part is replaced,
    and checked, with what the engine finally knows)."""
    for _ in range(_MAX_ROUNDS):
        out.seek(0)
        out.truncate()
        first = True
        relearned = filt.relearned
        stale = False
        for item in inputs:
            got = 0
            with _open(item) as fh:
                for line_no, data in _parts(fh, item, part_lines):
                    got += len(data)
                    text = _decode(data)
                    result = filt.replace(text, first_line=line_no, where=item.name)
                    if filt.relearned != relearned and not first:
                        stale = True
                    relearned = filt.relearned
                    first = False
                    out.write(result.encode("utf-8"))
                    filt.trim_caches()
            if got != item.size:
                raise PostfingerError(
                    f"{item.name} changed while it was read (it is shorter "
                    "now); nothing was written: copy it first, then "
                    "anonymize the copy"
                )
        if not stale:
            out.flush()
            return
    raise PostfingerError(
        "refusing to print: the anonymizer kept learning new site names "
        f"while checking its output ({_MAX_ROUNDS} rounds); nothing was written "
        "(please report this as a postfinger bug)"
    )


def _copy_to_stdout(src: IO[bytes], env: Env) -> None:
    """The finished output to standard output: as bytes where the stream has a buffer."""
    buffer = getattr(env.stdout, "buffer", None)
    env.stdout.flush()
    if buffer is not None:
        shutil.copyfileobj(src, buffer, _COPY_CHUNK)
        buffer.flush()
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    while True:
        chunk = src.read(_COPY_CHUNK)
        env.stdout.write(decoder.decode(chunk, final=not chunk))
        if not chunk:
            break
    env.stdout.flush()
