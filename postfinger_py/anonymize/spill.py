"""What the anonymizer must remember of each distinct value, kept on disk once it grows large.

Consistency means remembering every value seen: the replacement each label and user name got
(collisions are told apart in first-seen order), what was replaced (the map file, the leak
check), and what the leak check looks for. On a multi-gigabyte log that is millions of values,
one per message ID, queue ID and client, more than fits in a small server's memory. A
`SpillDict` keeps the entries of the current part in a dict and, between parts (`spill()`), moves
them to one SQLite table in a private file: a value is looked up in memory first, then on disk.
The output is the same as with plain dicts, byte for byte; only memory and speed differ.

The file holds original values: it is made mode 0600 in the caller's private directory (the
streaming command's spool, removed when it ends), never synced, and read in a forked child
(the second half of a part, parallel.py) through the child's own connection: nothing is written
to it but by spill(), between parts, in the process that made it.
"""

from __future__ import annotations

import heapq
import os
import sqlite3
from collections.abc import Collection, Iterable, Iterator, MutableMapping, MutableSet
from typing import Any, Callable, TypeVar

from postfinger_py.errors import PostfingerError, os_error_words

_SEP = "\x1f"  # joins a tuple key's strings; no value the engine records holds it
# Entries kept in memory across all of a store's dicts before a spill moves them to disk.
SPILL_ENTRIES = 100_000
_BATCH = 900  # keys per `IN (...)` query (SQLite's default limit is 999 variables)
_PAGE = 2000  # rows per query of a walk over a table (sorted_keys, keys_from)
# Bits of a store's filter of what is on disk (4 MiB, one for all its dicts): most lookups are of
# new values, and the filter answers "not on disk" for nearly all of them without a query. A false
# "maybe" only costs a query; it never answers "not" for a key that is there.
_FILTER_BITS = 1 << 25


class _Filter:
    """A Bloom filter of two probes over a number: the key's hash (Python's, stable within a
    process and its forked children, which is as long as the file lives; a str caches its
    own) mixed with its dict's salt, so one filter serves every dict of a store."""

    def __init__(self, bits: int = _FILTER_BITS) -> None:
        self.mask = bits - 1
        self.bits = bytearray(bits // 8)

    def add(self, h: int) -> None:
        a, b = h & self.mask, (h >> 32) & self.mask
        self.bits[a >> 3] |= 1 << (a & 7)
        self.bits[b >> 3] |= 1 << (b & 7)

    def __contains__(self, h: int) -> bool:
        a, b = h & self.mask, (h >> 32) & self.mask
        return bool(self.bits[a >> 3] & (1 << (a & 7))) and bool(self.bits[b >> 3] & (1 << (b & 7)))


class SpillStore:
    """One SQLite file of tables of str -> str, opened lazily, reopened in a forked child."""

    def __init__(self, directory: str, limit: int = SPILL_ENTRIES) -> None:
        self.path = os.path.join(directory, "anonymizer-state.sqlite")
        self.limit = limit
        self.dicts: list[SpillDict] = []
        self.filter: _Filter | None = None  # made at the first spill
        self._db: sqlite3.Connection | None = None
        self._pid = -1
        self._inherited: list[sqlite3.Connection] = []

    def db(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():
            if self._db is None:  # first use: the file made private before SQLite opens it
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
            else:
                # A forked child never uses the parent's connection (SQLite forbids it), nor
                # closes it (dropping it would): it is kept, and the child reads through its own.
                self._inherited.append(self._db)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=OFF")  # scratch data, rebuilt by a rerun
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.execute("PRAGMA cache_size=-8192")  # KiB: 8 MiB of pages at most
            self._pid = os.getpid()
        return self._db

    def new_dict(self, name: str, tuple_keys: bool = False) -> SpillDict:
        d = SpillDict(self, name, tuple_keys)
        self.dicts.append(d)
        return d

    def in_memory(self) -> int:
        return sum(len(d.mem) + len(d.hot) for d in self.dicts)

    def spill(self, force: bool = False) -> bool:
        """Move every dict's entries to disk if they are more than the limit (or `force`);
        whether it did. Only between parts: never while a forked child reads."""
        if not force and self.in_memory() < self.limit:
            return False
        try:
            db = self.db()
            db.execute("BEGIN")
            for d in self.dicts:
                d._write_out(db)
            db.execute("COMMIT")
        except (OSError, sqlite3.Error) as exc:  # a full or failing disk, most likely
            reason = os_error_words(exc) if isinstance(exc, OSError) else str(exc)
            raise PostfingerError(
                f"cannot keep the anonymizer's state in {os.path.dirname(self.path)}: {reason}; "
                "nothing was written (set TMPDIR to a directory with room)"
            ) from None
        return True

    def close(self) -> None:
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None


class SpillDict(MutableMapping):  # type: ignore[type-arg]
    """A dict of str (or tuple of str) -> str whose older entries live in a SpillStore.

    Insertion order is kept as a dict keeps it: a key rewritten keeps its place. `written`,
    while recording (parallel.py's child), is every key written since, in first-write order.
    """

    def __init__(self, store: SpillStore, name: str, tuple_keys: bool) -> None:
        self.store = store
        self.table = name
        self.tuple_keys = tuple_keys
        self.mem: dict[Any, str] = {}
        self.on_disk = 0  # rows in the table
        self.shadow: set[Any] = set()  # keys in memory that have a row too
        self.hot: dict[Any, str] = {}  # rows read since the spill, unchanged (not written again)
        self._salt = hash(name) * 0x9E3779B97F4A7C15 & (2**64 - 1)  # its keys in the store's filter
        self.written: dict[Any, None] | None = None

    # -- keys as stored ---------------------------------------------------------------------
    def _enc(self, key: Any) -> str:
        return _SEP.join(key) if self.tuple_keys else key

    def _dec(self, text: str) -> Any:
        return tuple(text.split(_SEP)) if self.tuple_keys else text

    def _disk_get(self, key: Any) -> str | None:
        if not self.on_disk:
            return None
        flt = self.store.filter
        if flt is not None and hash(key) ^ self._salt not in flt:
            return None
        row = self.store.db().execute(f"SELECT v FROM {self.table} WHERE k = ?", (self._enc(key),)).fetchone()
        return None if row is None else row[0]

    def _write_out(self, db: sqlite3.Connection) -> None:
        if not self.on_disk:
            db.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        if self.mem:
            if self.store.filter is None:
                self.store.filter = _Filter()
            add, salt = self.store.filter.add, self._salt
            for k in self.mem:
                add(hash(k) ^ salt)
            # An upsert keeps a rewritten key's row (its place in the order).
            db.executemany(
                f"INSERT INTO {self.table} (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                ((self._enc(k), v) for k, v in self.mem.items()),
            )
            self.on_disk += len(self.mem) - len(self.shadow)  # (shadowed keys have their row)
            self.mem.clear()
            self.shadow.clear()
        self.hot.clear()

    # -- the mapping ------------------------------------------------------------------------
    def get(self, key: Any, default: Any = None) -> Any:
        value = self.mem.get(key)
        if value is None and self.on_disk:
            value = self.hot.get(key)
            if value is None:
                value = self._disk_get(key)
                if value is not None:  # kept at hand until the next spill
                    self.hot[key] = value
        return default if value is None else value

    def __getitem__(self, key: Any) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        if key in self.mem:
            return True
        if not self.on_disk:
            return False
        if key in self.hot:
            return True
        value = self._disk_get(key)
        if value is None:
            return False
        self.hot[key] = value
        return True

    def __setitem__(self, key: Any, value: str) -> None:
        if key not in self.mem and (key in self.hot or self._disk_get(key) is not None):
            self.shadow.add(key)  # rewritten since the spill: its place stays on disk
        self.hot.pop(key, None)
        self.mem[key] = value
        if self.written is not None:
            self.written.setdefault(key, None)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        value = self.get(key)
        if value is None:
            self[key] = default
            return default
        return value

    def __delitem__(self, key: Any) -> None:
        raise TypeError("the anonymizer's state only grows")

    def __len__(self) -> int:
        return self.on_disk + len(self.mem) - len(self.shadow)

    def _disk_rows(self, order: str = "ASC") -> Iterator[tuple[Any, str]]:
        if not self.on_disk:
            return
        cur = self.store.db().execute(f"SELECT k, v FROM {self.table} ORDER BY rowid {order}")
        for k, v in cur:
            key = self._dec(k)
            yield key, self.mem.get(key, v)

    def items(self) -> Iterator[tuple[Any, str]]:  # type: ignore[override]
        yield from self._disk_rows()
        yield from ((k, v) for k, v in self.mem.items() if k not in self.shadow)

    def __iter__(self) -> Iterator[Any]:
        return (k for k, _ in self.items())

    def __reversed__(self) -> Iterator[Any]:
        yield from (k for k in reversed(self.mem) if k not in self.shadow)
        yield from (k for k, _ in self._disk_rows("DESC"))

    # -- walks that stay small in memory, and stay right if a spill happens meanwhile ------------
    def _mem_keys(self) -> list[Any]:
        return [k for k in self.mem if k not in self.shadow]

    def sorted_keys(self) -> Iterator[Any]:
        """The keys in sorted order (sorted() of them), read from disk a page at a time.

        SQLite's BINARY order of TEXT is that of the UTF-8 bytes, which is code point order,
        Python's. The keys in memory are those of one part (the spill limit); if a spill moves
        them to disk during the walk, the pages read later hold them too: a key equal to the one
        just given is skipped. (Str keys only.)"""
        mem = sorted(self._mem_keys())
        yield from _dedupe(heapq.merge(self._disk_pages("k", ""), mem))

    def keys_from(self, start: int) -> Iterator[Any]:
        """The keys in insertion order from the `start`-th (0 first), a page at a time: what
        was added since len() was `start`. A key on disk has rowid = its place + 1 (rows are
        only ever added); a spill during the walk makes the rest of memory rows after them,
        walked from where the walk is."""
        pos = start  # the place of the next key
        while True:
            on_disk = self.on_disk
            if pos < on_disk:
                for k in self._disk_pages("rowid", pos):
                    pos += 1
                    yield k
                continue  # (rows a spill added meanwhile)
            mem = self._mem_keys()
            for k in mem[pos - on_disk :]:
                yield k
                pos += 1
                if self.on_disk != on_disk:
                    break  # spilled meanwhile: the rest are rows now
            else:
                return

    def first_with_prefix(self, prefix: str) -> str | None:
        """The smallest key that starts with `prefix` (a non-empty str), or None."""
        best = min((k for k in self._mem_keys() if k.startswith(prefix)), default=None)
        if self.on_disk:
            end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            row = (
                self.store.db()
                .execute(
                    f"SELECT k FROM {self.table} WHERE k >= ? AND k < ? ORDER BY k LIMIT 1",
                    (prefix, end),
                )
                .fetchone()
            )
            if row is not None and (best is None or row[0] < best):
                best = row[0]
        return best

    def _disk_pages(self, column: str, after: Any) -> Iterator[Any]:
        """Keys from the table in the order of `column` (k or rowid), from after `after`: each
        page a query of its own (no cursor stays open while the caller writes)."""
        if not self.on_disk:
            return
        db = self.store.db()
        while True:
            rows = db.execute(
                f"SELECT k, {column} FROM {self.table} WHERE {column} > ? ORDER BY {column} LIMIT {_PAGE}",
                (after,),
            ).fetchall()
            for k, _ in rows:
                yield self._dec(k)
            if len(rows) < _PAGE:
                return
            after = rows[-1][1]

    def lookup_many(self, keys: Iterable[Any]) -> dict[Any, str]:
        """key -> value of each of `keys` present: memory, then disk in batches."""
        keys = set(keys)
        found = {k: self.mem[k] for k in keys.intersection(self.mem)}
        found.update((k, self.hot[k]) for k in keys.intersection(self.hot) if k not in found)
        if self.on_disk:
            flt = self.store.filter
            salt = self._salt
            rest = [self._enc(k) for k in keys if k not in found and (flt is None or hash(k) ^ salt in flt)]
            db = self.store.db()
            for i in range(0, len(rest), _BATCH):
                chunk = rest[i : i + _BATCH]
                marks = ",".join("?" * len(chunk))
                for k, v in db.execute(f"SELECT k, v FROM {self.table} WHERE k IN ({marks})", chunk):
                    found[self._dec(k)] = v
        return found


def lookup_many(d: Any, keys: Iterable[Any]) -> dict[Any, Any]:
    """`lookup_many` for a SpillDict or a plain dict alike."""
    if isinstance(d, SpillDict):
        return d.lookup_many(keys)
    return {k: d[k] for k in set(keys).intersection(d)}


_T = TypeVar("_T")


def spilling(items: Iterable[_T], hook: Callable[[], object] | None, every: int) -> Iterator[_T]:
    """`items`, with `hook` (a stream's spill) called after every `every` of them: a long walk
    over what was learned spills now and then, so what it adds does not pile up in memory."""
    for i, item in enumerate(items):
        yield item
        if hook is not None and i % every == every - 1:
            hook()


def _dedupe(keys: Iterable[Any]) -> Iterator[Any]:
    last: Any = object()
    for k in keys:
        if k != last:
            yield k
            last = k


class SpillSet(MutableSet):  # type: ignore[type-arg]
    """A set of str kept in a SpillDict (each a key of value ""): the engine's learned names,
    which a log of many distinct senders makes millions of. Insertion order, as a dict's."""

    def __init__(self, store: SpillStore, name: str, values: Iterable[str] = ()) -> None:
        self.d = store.new_dict(name)
        for v in values:
            self.add(v)

    def add(self, value: str) -> None:
        if value not in self.d:
            self.d[value] = ""

    def discard(self, value: str) -> None:
        raise TypeError("the anonymizer's learned names only grow")

    def __contains__(self, value: object) -> bool:
        return value in self.d

    def __len__(self) -> int:
        return len(self.d)

    def __iter__(self) -> Iterator[str]:
        return iter(self.d)

    def sorted_keys(self) -> Iterator[str]:
        return self.d.sorted_keys()

    def keys_from(self, start: int) -> Iterator[str]:
        return self.d.keys_from(start)

    def first_with_prefix(self, prefix: str) -> str | None:
        return self.d.first_with_prefix(prefix)


def in_order(c: Collection[str]) -> Iterator[str]:
    """sorted(c), for a plain set or dict or a spilled one (read from disk a page at a time)."""
    if isinstance(c, (SpillDict, SpillSet)):
        return c.sorted_keys()
    return iter(sorted(c))


def added_since(c: Collection[str], start: int) -> Iterator[str]:
    """What was added to `c` (a dict, a SpillDict or a SpillSet: insertion order) since its
    len() was `start`. A plain set has no order: all of it."""
    if isinstance(c, (SpillDict, SpillSet)):
        return c.keys_from(start)
    if isinstance(c, dict):
        return iter(list(c)[start:])
    return iter(list(c))


def first_with_prefix(c: Collection[str], prefix: str) -> str | None:
    """min() of the keys of `c` that start with `prefix`, or None."""
    if isinstance(c, (SpillDict, SpillSet)):
        return c.first_with_prefix(prefix)
    return min((k for k in c if k.startswith(prefix)), default=None)
