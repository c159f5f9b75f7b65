"""The keys Postfix itself looks up in a table for an address or a domain, in Postfix's order.

From the manuals: access(5) (EMAIL ADDRESS PATTERNS, and its extension order), virtual(5) and
canonical(5) (TABLE SEARCH ORDER), transport(5), aliases(5), and match_ops.c for domain lists:
parent domains are looked up only in fixed-key tables (not regexp/pcre/cidr), as "parent" when
the setting is listed in parent_domain_matches_subdomains and as ".parent" when it is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# How a table is used decides its key forms.
ACCESS = "access"  # check_*_access, *_access_maps: access(5)
ADDRESS = "address"  # virtual, canonical, generic, relocated, sender login, ...: virtual(5)
TRANSPORT = "transport"  # transport_maps: transport(5)
DOMAINS = "domains"  # a domain list (relay_domains, virtual_alias_domains, ...)
ALIASES = "aliases"  # alias_maps: the local part only, aliases(5)

# Tables whose keys are patterns: Postfix asks them the full key only (no user@, no parents).
PATTERN_TYPES = ("regexp:", "pcre:", "cidr:")
_CHECK = re.compile(r"check_[a-z_]+_access\Z")
DOMAIN_LIST_PARAMS = frozenset(
    {
        "mydestination",
        "relay_domains",
        "virtual_alias_domains",
        "virtual_mailbox_domains",
        "fast_flush_domains",
        "permit_mx_backup_networks",
        "smtpd_tls_exempt_domains",
    }
)


@dataclass(frozen=True)
class KeyForm:
    """One key to ask, and what it stands for (shown to the user)."""

    key: str
    form: str  # "user@domain", "user@", "domain", "parent domain", "@domain", ...


@dataclass(frozen=True)
class Address:
    """A key split as Postfix splits an address (the domain lower-cased)."""

    local: str  # "" for a bare domain
    domain: str
    bare_local: str  # the local part without the address extension
    is_address: bool

    @property
    def has_extension(self) -> bool:
        return self.bare_local != self.local


def split_key(key: str, delimiters: str = "") -> Address:
    """user+ext@domain -> parts; a key without @ is a domain (or a host name)."""
    local, at, domain = key.rpartition("@")
    if not at:
        return Address("", key.lower().rstrip("."), "", False)
    bare = local
    if delimiters and local:
        cut = min((local.find(d) for d in delimiters if d in local), default=-1)
        if cut > 0:
            bare = local[:cut]
    return Address(local, domain.lower().rstrip("."), bare, True)


def style_of(param: str, value_items: Sequence[str], spec: str) -> str:
    """How the setting `param` uses the table `spec` (its value split into items)."""
    for i, item in enumerate(value_items):
        if item == spec and i > 0 and _CHECK.match(value_items[i - 1]):
            return ACCESS
    if param in ("alias_maps", "alias_database"):
        return ALIASES
    if param == "transport_maps" or param.endswith("_transport_maps"):
        return TRANSPORT
    if param.endswith("access_maps"):
        return ACCESS
    if param in DOMAIN_LIST_PARAMS or param.endswith("_domains"):
        return DOMAINS
    return ADDRESS


def _parents(domain: str, parent_style: bool) -> list[KeyForm]:
    out = []
    rest = domain
    while "." in rest:
        rest = rest.split(".", 1)[1]
        out.append(KeyForm(rest if parent_style else "." + rest, "parent domain"))
    return out


_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}\Z")


def _domain_chain(domain: str, parent_style: bool, pattern: bool) -> list[KeyForm]:
    if _IPV4.match(domain):
        # access(5) HOST NAME/ADDRESS PATTERNS: net.work.addr.ess, net.work.addr, net.work, net
        parts = domain.split(".")
        return [KeyForm(domain, "address")] + (
            [] if pattern else [KeyForm(".".join(parts[:n]), "network") for n in (3, 2, 1)]
        )
    forms = [KeyForm(domain, "domain")]
    return forms if pattern or not domain else forms + _parents(domain, parent_style)


def key_forms(
    addr: Address, style: str, spec: str, parent_style: bool, local_domain: bool | None
) -> tuple[list[KeyForm], str]:
    """(the keys to ask, in Postfix's order; why none apply when the list is empty).

    `local_domain`: whether the address's domain is local ($myorigin, $mydestination); None
    when that cannot be told (the user-only form is asked then).
    """
    pattern = spec.startswith(PATTERN_TYPES) or any(f":{t}" in spec for t in PATTERN_TYPES)
    full = f"{addr.local}@{addr.domain}"
    bare = f"{addr.bare_local}@{addr.domain}"
    forms: list[KeyForm] = []
    if style == DOMAINS:
        return _domain_chain(addr.domain, parent_style, pattern), ""
    if not addr.is_address:
        if style == ALIASES:
            return [], "alias tables are keyed by a local part; give an address"
        if style == ACCESS:
            return _domain_chain(addr.domain, parent_style, pattern), ""
        if style == TRANSPORT:
            return _domain_chain(addr.domain, parent_style, pattern) + (
                [] if pattern else [KeyForm("*", "wild-card")]
            ), ""
        return [
            KeyForm(addr.domain if pattern else "@" + addr.domain, "domain" if pattern else "@domain")
        ], ""
    forms.append(KeyForm(full, "full address"))
    if pattern:
        return forms, ""
    if addr.has_extension:
        forms.append(KeyForm(bare, "address without its extension"))
    if style == ACCESS:
        forms += _domain_chain(addr.domain, parent_style, pattern)
        forms.append(KeyForm(addr.local + "@", "local part and @"))
        if addr.has_extension:
            forms.append(KeyForm(addr.bare_local + "@", "local part and @ without its extension"))
        return forms, ""
    if style == TRANSPORT:
        return forms + _domain_chain(addr.domain, parent_style, pattern) + [KeyForm("*", "wild-card")], ""
    if style == ALIASES:
        if local_domain is False:
            return [], f"alias tables are used only for local domains, and {addr.domain} is not"
        forms = [KeyForm(addr.local, "local part")]
        if addr.has_extension:
            forms.append(KeyForm(addr.bare_local, "local part without its extension"))
        return forms, ""
    if local_domain is not False:
        why = "local part (a local domain)" if local_domain else "local part (if the domain is local)"
        forms.append(KeyForm(addr.local, why))
        if addr.has_extension:
            forms.append(
                KeyForm(addr.bare_local, why.replace("local part", "local part without its extension"))
            )
    forms.append(KeyForm("@" + addr.domain, "@domain"))
    return forms, ""
