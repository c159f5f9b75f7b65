"""Read what we need from an ELF file without running it: NEEDED libraries and Postfix's version stamp."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

# Every Postfix program embeds MAIL_VERSION_STAMP: "mail_version=3.7.11".
_STAMP = re.compile(rb"mail_version=([0-9][0-9A-Za-z.+~_-]{0,40})\x00")

DT_NEEDED = 1
DT_STRTAB = 5
PT_DYNAMIC = 2
PT_LOAD = 1
PT_INTERP = 3


@dataclass(frozen=True)
class BinaryInfo:
    """What a file is, as far as reading its bytes tells."""

    path: str
    kind: str  # elf, script, other, unreadable
    version_stamps: tuple[str, ...] = ()
    needed: tuple[str, ...] = ()
    interpreter: str = ""
    elf_class: int = 0  # 32 or 64
    problem: str = ""  # why it could not be read or parsed


def version_stamps(data: bytes) -> tuple[str, ...]:
    """Distinct mail_version stamps in a binary, in order of appearance."""
    seen: list[str] = []
    for m in _STAMP.finditer(data):
        value = m.group(1).decode("ascii", "replace")
        if value not in seen:
            seen.append(value)
    return tuple(seen)


def _cstr(data: bytes, offset: int) -> str:
    end = data.find(b"\x00", offset)
    if offset < 0 or offset >= len(data) or end < 0:
        return ""
    return data[offset:end].decode("utf-8", "replace")


def _vaddr_to_offset(loads: list[tuple[int, int, int]], vaddr: int) -> int | None:
    for p_offset, p_vaddr, p_filesz in loads:
        if p_vaddr <= vaddr < p_vaddr + p_filesz:
            return p_offset + (vaddr - p_vaddr)
    return None


def parse_elf(path: str, data: bytes) -> BinaryInfo:
    """Parse an ELF image (or say what else the file is). Never raises on malformed input."""
    if data[:2] == b"#!":
        first = data.split(b"\n", 1)[0][2:].strip().decode("utf-8", "replace")
        return BinaryInfo(path, "script", interpreter=first)
    if data[:4] != b"\x7fELF" or len(data) < 64:
        return BinaryInfo(path, "other", version_stamps=version_stamps(data))
    try:
        return _parse_elf(path, data)
    except (struct.error, IndexError, ValueError, OverflowError) as exc:
        return BinaryInfo(path, "elf", version_stamps(data), problem=f"malformed ELF: {exc}")


def _parse_elf(path: str, data: bytes) -> BinaryInfo:
    is64 = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    if is64:
        (e_phoff,) = struct.unpack_from(endian + "Q", data, 0x20)
        e_phentsize, e_phnum = struct.unpack_from(endian + "HH", data, 0x36)
        ph_fmt = endian + "IIQQQQQQ"  # type flags offset vaddr paddr filesz memsz align
    else:
        (e_phoff,) = struct.unpack_from(endian + "I", data, 0x1C)
        e_phentsize, e_phnum = struct.unpack_from(endian + "HH", data, 0x2A)
        ph_fmt = endian + "IIIIIIII"  # type offset vaddr paddr filesz memsz flags align
    loads: list[tuple[int, int, int]] = []
    dynamic: tuple[int, int] | None = None
    interp = ""
    for i in range(min(e_phnum, 256)):
        fields = struct.unpack_from(ph_fmt, data, e_phoff + i * e_phentsize)
        if is64:
            p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = fields[:6]
        else:
            p_type, p_offset, p_vaddr, _paddr, p_filesz = fields[:5]
        if p_type == PT_LOAD:
            loads.append((p_offset, p_vaddr, p_filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
        elif p_type == PT_INTERP:
            interp = _cstr(data, p_offset)
    needed_offsets: list[int] = []
    strtab_vaddr: int | None = None
    if dynamic is not None:
        entry_fmt = endian + ("qQ" if is64 else "iI")
        size = struct.calcsize(entry_fmt)
        off, length = dynamic
        for pos in range(off, min(off + length, len(data) - size + 1), size):
            tag, val = struct.unpack_from(entry_fmt, data, pos)
            if tag == 0:
                break
            if tag == DT_NEEDED:
                needed_offsets.append(val)
            elif tag == DT_STRTAB:
                strtab_vaddr = val
    needed: list[str] = []
    if strtab_vaddr is not None:
        base = _vaddr_to_offset(loads, strtab_vaddr)
        if base is not None:
            needed = [_cstr(data, base + o) for o in needed_offsets]
    return BinaryInfo(
        path,
        "elf",
        version_stamps=version_stamps(data),
        needed=tuple(n for n in needed if n),
        interpreter=interp,
        elf_class=64 if is64 else 32,
    )
