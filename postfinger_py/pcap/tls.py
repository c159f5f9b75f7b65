"""What the cleartext start of a TLS handshake shows: versions offered and chosen, and the SNI."""

from __future__ import annotations

VERSIONS = {
    0x0300: "SSLv3",
    0x0301: "TLSv1.0",
    0x0302: "TLSv1.1",
    0x0303: "TLSv1.2",
    0x0304: "TLSv1.3",
}


def version_name(value: int) -> str:
    return VERSIONS.get(value, f"0x{value:04x}")


def looks_like_tls(data: bytes) -> bool:
    """A TLS handshake record: content type 22, major version 3."""
    return len(data) >= 3 and data[0] == 0x16 and data[1] == 0x03


def _handshake(data: bytes, wanted: int) -> bytes | None:
    """The body of the first handshake message of type `wanted`, from one or more records."""
    body = bytearray()
    pos = 0
    while pos + 5 <= len(data) and data[pos] == 0x16:
        length = (data[pos + 3] << 8) | data[pos + 4]
        body += data[pos + 5 : pos + 5 + length]
        pos += 5 + length
        if len(body) >= 4:
            need = 4 + ((body[1] << 16) | (body[2] << 8) | body[3])
            if len(body) >= need:
                break
    if len(body) < 4 or body[0] != wanted:
        return None
    length = (body[1] << 16) | (body[2] << 8) | body[3]
    if len(body) < 4 + length:
        return None  # not all here yet
    return bytes(body[4 : 4 + length])


def _extensions(body: bytes, pos: int) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    if pos + 2 > len(body):
        return out
    end = min(len(body), pos + 2 + ((body[pos] << 8) | body[pos + 1]))
    pos += 2
    while pos + 4 <= end:
        etype = (body[pos] << 8) | body[pos + 1]
        elen = (body[pos + 2] << 8) | body[pos + 3]
        out[etype] = body[pos + 4 : pos + 4 + elen]
        pos += 4 + elen
    return out


def _sni(ext: bytes) -> str | None:
    # server_name_list length (2), then entries: type (1), length (2), name
    pos = 2
    while pos + 3 <= len(ext):
        kind = ext[pos]
        length = (ext[pos + 1] << 8) | ext[pos + 2]
        if kind == 0:
            return ext[pos + 3 : pos + 3 + length].decode("ascii", "replace")
        pos += 3 + length
    return None


def parse_client_hello(data: bytes) -> dict[str, object] | None:
    """{'version': highest offered, 'sni': name or None}, or None if this is no ClientHello."""
    body = _handshake(data, 1)
    if body is None or len(body) < 35:
        return None
    legacy = (body[0] << 8) | body[1]
    pos = 34
    pos += 1 + body[pos]  # session id
    if pos + 2 > len(body):
        return {"version": version_name(legacy), "sni": None}
    pos += 2 + ((body[pos] << 8) | body[pos + 1])  # cipher suites
    if pos + 1 > len(body):
        return {"version": version_name(legacy), "sni": None}
    pos += 1 + body[pos]  # compression methods
    exts = _extensions(body, pos)
    best = legacy
    offered = exts.get(43)  # supported_versions: length (1), then 2-byte versions
    if offered:
        versions = [(offered[i] << 8) | offered[i + 1] for i in range(1, len(offered) - 1, 2)]
        known = [v for v in versions if v in VERSIONS]  # GREASE values are not versions
        if known:
            best = max(known)
    sni = _sni(exts[0]) if 0 in exts else None
    return {"version": version_name(best), "sni": sni}


def parse_server_hello(data: bytes) -> str | None:
    """The version the server chose, or None if this is no ServerHello."""
    body = _handshake(data, 2)
    if body is None or len(body) < 35:
        return None
    chosen = (body[0] << 8) | body[1]
    pos = 34
    pos += 1 + body[pos]
    pos += 3  # cipher suite, compression method
    ext = _extensions(body, pos).get(43)
    if ext is not None and len(ext) == 2:
        chosen = (ext[0] << 8) | ext[1]
    return version_name(chosen)
