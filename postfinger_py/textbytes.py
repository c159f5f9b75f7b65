"""Bytes from logs and files as text: UTF-8, with each byte that is not valid UTF-8 read as the
Latin-1 character it is in older systems' logs and tables (`j\\xfcrgen` as `jürgen`).

That keeps a name written in Latin-1 one word: shown as U+FFFD it was cut in two, and the
anonymizer replaced the pieces of a user's name as separate words (`j\\ufffdrgen`: `rgen`
stayed). A byte 0x80-0x9F is no Latin-1 letter but a C1 control (0x9B starts a terminal escape
sequence): it is shown as U+FFFD, as is every byte in strict ASCII contexts elsewhere.
"""

from __future__ import annotations

import codecs

ERRORS = "postfinger-latin1"


def _latin1_letters(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    bad = err.object[err.start : err.end]
    return "".join(chr(b) if b >= 0xA0 else "\ufffd" for b in bad), err.end


codecs.register_error(ERRORS, _latin1_letters)


def decode_text(data: bytes) -> str:
    """`data` as text: UTF-8, each invalid byte as its Latin-1 character (see above)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", ERRORS)
