"""Anonymization keys: a random one per report, or one the user keeps in a file (mode 0600)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat

from postfinger_py.errors import PostfingerError

KEY_BYTES = 32


def random_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def load_or_create_key(path: str) -> bytes:
    """Read the key in `path` (hex); create it with a fresh random key, mode 0600, if absent."""
    from postfinger_py.outputs import check_output, write_private_exclusive

    if not os.path.lexists(path):
        key = random_key()
        try:
            check_output(path)
            if write_private_exclusive(path, (key.hex() + "\n").encode()):
                return key
        except PostfingerError as exc:
            raise PostfingerError(
                f"cannot create the anonymization key file: {exc.message}; "
                "choose a writable path for --anon-key"
            ) from None
    return _read_key(path)


def _read_key(path: str) -> bytes:
    from postfinger_py.files import FileProblem, open_regular

    try:
        with open_regular(path) as fh:  # a FIFO or a device would hang or never end
            text = fh.read(4096).decode("ascii", "replace").strip()
            mode = stat.S_IMODE(os.fstat(fh.fileno()).st_mode)
    except (FileProblem, OSError) as exc:
        reason = exc.reason if isinstance(exc, FileProblem) else exc.strerror
        raise PostfingerError(
            f"cannot read the anonymization key file {path}: {reason}; check the path given to --anon-key"
        ) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise PostfingerError(
            f"{path} is not a postfinger anonymization key (expected at least 32 hex digits); "
            "give --anon-key a new file name and postfinger creates one"
        )
    if mode & 0o077:
        # Not fatal: the key only makes replacements reproducible, but say so.
        os.chmod(path, 0o600)
    return key


def subkey(key: bytes, purpose: str) -> bytes:
    """Independent keys per kind of value, so equal strings of different kinds do not correlate."""
    return hmac.new(key, b"postfinger-anon/" + purpose.encode(), hashlib.sha256).digest()
