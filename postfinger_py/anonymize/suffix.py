"""Public suffixes (the bundled list, never fetched): what part of a name is kept as it is."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def public_suffixes() -> Any:
    """The bundled public suffix list (never fetched); ~0.1 s to load, so loaded once, lazily."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(accept_unknown=False)


@lru_cache(maxsize=65536)
def _public_suffix(tail: str) -> str:
    """The public suffix of a name (its last five labels suffice); unknown TLDs count as one."""
    return public_suffixes().publicsuffix(tail) or tail.rsplit(".", 1)[-1]


@lru_cache(maxsize=1)
def _rule_parents() -> frozenset[str]:
    """Every name of two or more labels that is a proper suffix of a public suffix rule.

    Only rules of three or more labels can match a name beyond its last two labels, and the
    last two labels of such a rule are literal (a wildcard is only ever leftmost). So when a
    name's last two labels are not in this set, they alone decide its public suffix.
    """
    out = set()
    for rule in public_suffixes()._publicsuffix:
        labels = rule.lstrip("!").split(".")
        for i in range(1, len(labels) - 1):
            out.add(".".join(labels[i:]))
    return frozenset(out)


def public_suffix_of(lowered: list[str]) -> str:
    """The public suffix of the name with these (lower-case) labels: _public_suffix, cached
    by the last two labels where those decide it (most names), else by the last five."""
    if len(lowered) > 2 and lowered[-1]:
        tail2 = lowered[-2] + "." + lowered[-1]
        if tail2 not in _rule_parents():
            return _public_suffix(tail2)
    return _public_suffix(".".join(lowered[-5:]))


@lru_cache(maxsize=4096)
def _tld_is_public(tld: str) -> bool:
    """Whether a last label is a public suffix: asked once per distinct TLD, not per name."""
    return bool(public_suffixes().is_public(tld))
