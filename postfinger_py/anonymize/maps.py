"""What the anonymizer has chosen so far, per kind of value: the state behind consistency.

Each kind keeps its own map (as sos report's cleaner keeps one mapping per kind): original ->
replacement, and which replacements are taken, so that two originals never share one (a label
whose keyed replacement collides with another's takes the next candidate, in first-seen order).
`EngineState` holds them all, plus the log of what was replaced (for the map file and the leak
check), and is the one thing parallel.py records, compares and merges: it never reaches into
the engine's attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from postfinger_py.anonymize.spill import SpillDict, SpillStore

K = TypeVar("K")  # what an original is looked up by
R = TypeVar("R")  # what a replacement is reserved by


class ReplacementMap(Generic[K, R]):
    """One kind's choices: `forward` original key -> replacement; `taken` the reservation
    of each replacement -> the original (lower case) that holds it."""

    def __init__(self) -> None:
        self.forward: dict[K, str] = {}
        self.taken: dict[R, str] = {}

    def get(self, key: K) -> str | None:
        return self.forward.get(key)

    def reservation(self, key: K, replacement: str) -> R:
        raise NotImplementedError

    def free_for(self, key: K, replacement: str, original: str) -> bool:
        """Whether `replacement` is unreserved, or reserved by this same original."""
        return self.taken.get(self.reservation(key, replacement), original) == original

    def record(self, key: K, replacement: str, original: str) -> None:
        self.forward[key] = replacement
        self.taken[self.reservation(key, replacement)] = original

    def agrees_with(self, choices: list[tuple[K, str]]) -> bool:
        """Whether choices made elsewhere from the same starting state are the ones this map
        would make: each original got the same replacement here, or one nobody here holds."""
        for key, replacement in choices:
            here = self.forward.get(key)
            if here is not None:
                if here != replacement:
                    return False
            elif self.reservation(key, replacement) in self.taken:
                return False  # taken here by another value: the choice would differ
        return True


class LabelMap(ReplacementMap[tuple[str, str], tuple[str, str]]):
    """Domain labels, per parent domain: (parent, label) -> label; reserved per parent."""

    def reservation(self, key: tuple[str, str], replacement: str) -> tuple[str, str]:
        return (key[0], replacement)


class UserMap(ReplacementMap[str, str]):
    """User names and local parts (lower case), one namespace."""

    def reservation(self, key: str, replacement: str) -> str:
        return replacement


class _Writes(dict):  # type: ignore[type-arg]
    """A dict that remembers which keys were written, in first-write order."""

    def __init__(self, base: dict[Any, Any]) -> None:
        super().__init__(base)
        self.written: dict[Any, None] = {}

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.written.setdefault(key, None)


# The dicts of the state, by the names a recorded delta uses.
Delta = dict[str, list[tuple[Any, Any]]]


@dataclass
class EngineState:
    labels: LabelMap = field(default_factory=LabelMap)
    users: UserMap = field(default_factory=UserMap)
    # What was replaced: (kind, original) -> replacement. Feeds the map file and leak check.
    replaced: dict[tuple[str, str], str] = field(default_factory=dict)

    def _dicts(self) -> dict[str, tuple[Any, str]]:
        return {
            "labels": (self.labels, "forward"),
            "labels_taken": (self.labels, "taken"),
            "users": (self.users, "forward"),
            "users_taken": (self.users, "taken"),
            "replaced": (self, "replaced"),
        }

    def snapshot(self) -> list[list[tuple[Any, Any]]]:
        """Every entry of every dict, in insertion order (two states compare equal by it)."""
        return [list(getattr(owner, attr).items()) for owner, attr in self._dicts().values()]

    def spill_to(self, store: SpillStore) -> None:
        """Keep every dict in `store` from now on (older entries on disk between parts)."""
        for name, (owner, attr) in self._dicts().items():
            old = getattr(owner, attr)
            new = store.new_dict(name, tuple_keys=name in ("labels", "labels_taken", "replaced"))
            new.update(old)
            setattr(owner, attr, new)

    def start_recording(self) -> None:
        """From now on, remember every entry written (new or rewritten), in first-write order."""
        for owner, attr in self._dicts().values():
            d = getattr(owner, attr)
            if isinstance(d, SpillDict):
                d.written = {}
            else:
                setattr(owner, attr, _Writes(d))

    def recorded(self) -> Delta:
        """What was written since start_recording(), by dict name."""
        out: Delta = {}
        for name, (owner, attr) in self._dicts().items():
            d = getattr(owner, attr)
            out[name] = [(k, d[k]) for k in d.written]
        return out

    def agrees_with(self, delta: Delta) -> bool:
        """Whether another process's choices (from this starting state) are the ones made here."""
        return self.labels.agrees_with(delta.get("labels", [])) and self.users.agrees_with(
            delta.get("users", [])
        )

    def merge(self, delta: Delta) -> None:
        for name, (owner, attr) in self._dicts().items():
            getattr(owner, attr).update(delta.get(name, []))
