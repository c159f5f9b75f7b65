"""What each scanner match becomes: one method per alternative of patterns.ALTERNATIVES.

The engine finds (scanner, outer pattern) and chooses (host, domain, user, _address: the
per-kind maps of maps.py); a handler says, for one kind of match, which parts are which: the
local part and domain of an address, the labels of an LDAP DN, the address inside a
reverse-DNS name, the recipient inside a VERP local part.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import MutableMapping, MutableSet
from re import Match, Pattern
from typing import TYPE_CHECKING, Any, Callable, Protocol

from postfinger_py.anonymize import keeplist
from postfinger_py.anonymize.patterns import SECRET_MASK, pipe_user
from postfinger_py.anonymize.shape import keyed_shape
from postfinger_py.anonymize.suffix import _tld_is_public

if TYPE_CHECKING:
    from postfinger_py.anonymize.bare import BareWords


class EngineView(Protocol):
    """What the handlers use of an engine (engine.Engine is one): its learned values, the
    per-kind choices, and the scanner for what a match holds inside."""

    mode: str
    short_hosts: MutableMapping[str, str]
    learned_domains: MutableSet[str]
    _k_text: bytes
    _bare: BareWords | None

    def host(self, text: str) -> str: ...
    def domain(self, text: str) -> str: ...
    def user(self, text: str) -> str: ...
    def local_part(self, local: str) -> str: ...
    def is_keyword(self, word: str) -> bool: ...
    def scan(self, text: str, pattern: Pattern[str] | None = None) -> str: ...
    def _looks_like_domain(self, plain: str) -> bool: ...
    def _address(self, addr: Any, text: str, plen: str | None) -> str | None: ...
    def _malformed(self, text: str) -> str: ...


_RDN = re.compile(r"(\s*)([^=\s]*)(\s*=\s*|)(.*?)(\s*)", re.DOTALL)
# An X.500 DN's country (`o=Example,c=GB`): a code, not the site's.
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_DC_LABEL = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
# Directory words of DNs, not site data (`ou=People`, `cn=Manager`).
_RDN_KEEP = frozenset(
    {
        "people",
        "groups",
        "group",
        "manager",
        "accounts",
        "services",
        "hosts",
        "domains",
        "aliases",
        "directory",
        "computers",
        "staff",
        "mailboxes",
    }
)
# The list-manager words of a VERP local part's head (`owner`, `list-bounces`).
_VERP_WORDS = frozenset(
    {
        "bounces",
        "bounce",
        "owner",
        "request",
        "return",
        "errors",
        "confirm",
        "leave",
        "join",
        "admin",
        "srs0",
        "srs1",
    }
)


class Handlers:
    """The handlers of one engine (they read its learned values and use its maps)."""

    def __init__(self, engine: EngineView) -> None:
        self.e = engine

    def table(self) -> dict[str, Callable[[Match[str]], str]]:
        """Pattern alternative name -> its handler."""
        return {
            "SECRET": self.secret,
            "SHORTSECRET": self.secret,
            "SYSLOG": self.syslog,
            "CFLINE": self.cfline,
            "CRED": self.cred,
            "SASLUSER": self.sasluser,
            "KNOWN": self.known,
            "KNOWNDOT": self.known,
            "EMAIL": self.email,
            "IPV4RE": self.ipv4re,
            "CATCHALL": self.catchall,
            "IPV4": self.ipv4,
            "IPV6": self.ipv6,
            "DOM": self.dom,
            "DN": self.dn_match,
            "RDNS": self.rdns,
            "VERP": self.verp,
        }

    def secret(self, m: Match[str]) -> str:
        return SECRET_MASK

    def cred(self, m: Match[str]) -> str:
        return m.group("cr_pre") + SECRET_MASK

    def cfline(self, m: Match[str]) -> str:
        key = m.group("cf_key").lower()
        value = m.group("cf_val")
        if key in ("password", "passwd", "bind_pw"):
            return m.group("cf_pre") + SECRET_MASK
        if self.e.mode == "off":
            return m.group(0)
        if key in ("bind_dn", "search_base"):
            if "=" in value:
                return m.group("cf_pre") + self.dn(value)
            # Active Directory's `EXAMPLE\svc` and `svc@example.com` (see learn.learn_free_text)
            domain, backslash, account = value.rpartition("\\")
            if backslash:
                return m.group("cf_pre") + self.e.user(domain) + "\\" + self.e.user(account)
            return m.group("cf_pre") + self.e.scan(value)
        if key == "sasl_authz_id":
            # ldap_table(5)'s SASL authorization identity: `u:account` or `dn:uid=...,o=...`
            kind, colon, ident = value.partition(":")
            if colon and kind.lower() == "dn":
                return m.group("cf_pre") + value[: len(kind) + 1] + self.dn(ident)
            if colon and kind.lower() == "u":
                return m.group("cf_pre") + value[: len(kind) + 1] + self.e.scan(ident)
            return m.group("cf_pre") + self.e.scan(value)
        if key == "user" and pipe_user(m.string, m.start("cf_key"), m.end()):
            return m.group(0)  # master.cf's pipe(8) account, on a line of its own
        return m.group("cf_pre") + self.e.user(value)

    def sasluser(self, m: Match[str]) -> str:
        value = m.group("su_val")
        local, at, domain = value.rpartition("@")
        if at and local and _DC_LABEL.fullmatch(domain.replace(".", "a").replace("-", "a")):
            # A login that is an address: replaced as that address is everywhere else.
            if keeplist.domain_is_documentation(domain):
                return m.group(0)
            return m.group("su_pre") + self.e.local_part(local) + "@" + self.e.host(domain)
        return m.group("su_pre") + self.e.user(value)

    def syslog(self, m: Match[str]) -> str:
        return m.group("sl_pre") + self.e.host(m.group("sl_host"))

    def known(self, m: Match[str]) -> str:
        return self.known_text(m.group(0))

    def known_text(self, text: str) -> str:
        """A learned bare word: a short host's replacement, or a user's."""
        lowered = text.lower()
        if lowered in self.e.short_hosts:
            return self.e.host(text)
        return self.e.user(text)

    def email(self, m: Match[str]) -> str:
        local, domain = m.group("em_local"), m.group("em_dom")
        if not domain:
            return self.e.local_part(local) + "@"
        if keeplist.domain_is_documentation(domain.replace("\\.", ".")):
            # (Its learned words replaced all the same: `postmaster@mx1.example.com`.)
            return local + "@" + (self.e.domain(domain) if "." in domain else domain)
        if m.group(0) in keeplist.PLACEHOLDERS:
            return m.group(0)
        return self.e.local_part(local) + "@" + self.e.host(domain)

    def catchall(self, m: Match[str]) -> str:
        return "@" + self.e.domain(m.group("ca_dom"))

    def ipv4(self, m: Match[str]) -> str:
        text = m.group("v4")
        try:
            addr = ipaddress.IPv4Address(text)
        except ValueError:
            return self.e._malformed(m.group(0))
        out = self.e._address(addr, text, m.group("v4len"))
        if out is None:
            return self.e._malformed(m.group(0))
        port = m.group("v4port")
        return out + ("." + port if port is not None else "")

    def ipv4re(self, m: Match[str]) -> str:
        """`10\\.44\\.` (the first octets of a network) or a whole address, regexp-escaped: as
        the network of those octets maps (the mapping keeps prefixes), or the address."""
        text = m.group("v4re")
        octets = text.split("\\.")
        full = ".".join(octets + ["0"] * (4 - len(octets)))
        try:
            addr = ipaddress.IPv4Address(full)
        except ValueError:
            return text
        out = self.e._address(addr, full, None if len(octets) == 4 else str(8 * len(octets)))
        if out is None:
            return text
        return "\\.".join(out.split("/")[0].split(".")[: len(octets)])

    def ipv6(self, m: Match[str]) -> str:
        text, colon = m.group("v6"), m.group("v6colon") or ""
        if text.endswith(":") and not text.endswith("::") and m.group("v6len") is None:
            # Postfix's colon after an address, taken into v6 where a group had room (no
            # address ends in one colon): `address 2001:db8::1: Name or service not known`,
            # `warning: 2001:db8::1: address not listed for hostname ...`.
            text, colon = text[:-1], ":"
        try:
            addr = ipaddress.IPv6Address(text)
        except ValueError:
            return m.group(0)  # times, MAC-like hex: not addresses, not site data
        out = self.e._address(addr, text, m.group("v6len"))
        if out is None:
            return m.group(0)
        if m.group("v6br"):  # Postfix writes IPv6 networks as [addr]/len
            out = out.replace("/", "]/", 1)
        return out + colon

    def dn_match(self, m: Match[str]) -> str:
        text = m.group("dn")
        core = text.rstrip(".")  # a sentence's full stop, or the root's dot
        return self.dn(core) + text[len(core) :]

    def dn(self, text: str) -> str:
        """An LDAP DN: each run of dc= values is one domain name, replaced as that domain
        (`dc=example,dc=co,dc=uk` as example.co.uk); other values as names; keys kept."""
        parts = [_RDN.fullmatch(p) for p in text.split(",")]
        if not all(parts):
            return text
        keys = [p.group(2).lower() if p.group(3) else "" for p in parts]  # type: ignore[union-attr]
        values = [p.group(4) for p in parts]  # type: ignore[union-attr]
        i = 0
        while i < len(parts):
            if keys[i] != "dc":
                if keys[i] and not (keys[i] == "c" and _COUNTRY.fullmatch(values[i])):
                    values[i] = self._rdn_value(values[i])
                i += 1
                continue
            j = i
            while j < len(parts) and keys[j] == "dc":
                j += 1
            labels = values[i:j]
            if all(_DC_LABEL.fullmatch(v) for v in labels):
                name = ".".join(labels)
                if len(labels) > 1:
                    anon = self.e.domain(name).split(".")
                elif _tld_is_public(name.lower()):  # `dc=com` alone (a DN written with spaces)
                    anon = labels
                else:
                    anon = [self.e.host(name)]
                if len(anon) == len(labels):
                    values[i:j] = anon
            i = j
        return ",".join(
            p.group(1) + p.group(2) + p.group(3) + v + p.group(5)  # type: ignore
            for p, v in zip(parts, values)
        )

    def _rdn_value(self, value: str) -> str:
        low = value.lower()
        if (
            not value
            or "%" in value
            or self.e.is_keyword(low)
            or low in _RDN_KEEP
            or low in keeplist.ORG_FORMS
            or keeplist.domain_is_kept(low)
        ):
            return value
        if "@" in value or "." in value:
            return self.e.scan(value)
        if " " in value.strip(" "):
            # `o=Orchard Trading`: word by word, as its words are learned (learn._learn_dn)
            return " ".join(self._rdn_value(w) if w else w for w in value.split(" "))
        if low in self.e.short_hosts:  # (`o=Kestrel`: the site's name, replaced as it is)
            return self.e.host(value)
        return self.e.user(value)

    def rdns(self, m: Match[str]) -> str:
        dotted = m.group("rd_q")
        octets = (dotted or m.group("rd_h")).replace("-", ".").split(".")
        rest = m.group("rd_dom").replace("\\.", ".").lower()
        if any(int(o) > 255 for o in octets) or (
            rest not in self.e.learned_domains and not self.e._looks_like_domain(rest)
        ):
            return self.dom_text(m.group("rd"))  # (`postfix-3.7.11.1.tar.gz`: a file)
        forward = ".".join(str(int(o)) for o in octets)
        backward = ".".join(str(int(o)) for o in reversed(octets))
        context = m.group("rd_ip")
        reverse = context != forward and (context == backward or dotted is not None)
        chosen = backward if reverse else forward
        out = self.e._address(ipaddress.IPv4Address(chosen), chosen, None)
        if out is None:
            return self.dom_text(m.group("rd"))
        new = out.split(".")
        if reverse:
            new.reverse()
        if dotted is not None:
            middle = (m.group("rd_qp") or "") + ".".join(new)
        else:
            middle = (m.group("rd_hp") or "") + "-".join(new) + (m.group("rd_hs") or "")
        return m.group("rd_pre") + middle + "." + self.dom_text(m.group("rd_dom"))

    def verp(self, m: Match[str]) -> str:
        head = "-".join(
            p if p.lower() in _VERP_WORDS else self.e.user(p) for p in m.group("vp_head").split("-")
        )
        local, edom, dom = m.group("vp_local"), m.group("vp_edom"), m.group("vp_dom")
        if keeplist.domain_is_documentation(edom.replace("\\.", ".")):
            inner = local + "=" + edom
        else:
            inner = self.e.local_part(local) + "=" + self.e.host(edom)
        if not keeplist.domain_is_documentation(dom.replace("\\.", ".")):
            dom = self.e.host(dom)
        return head + "+" + (m.group("vp_id") or "") + inner + "@" + dom

    def dom(self, m: Match[str]) -> str:
        text = m.group("dm")
        if len(text) > 253:  # longer than any DNS name: hide the run, keep its shape
            cut = text.rfind(".", 0, len(text) - 200) + 1
            return keyed_shape(self.e._k_text, text[:cut]) + self.dom_text(text[cut:])
        return self.dom_text(text)

    def dom_text(self, text: str) -> str:
        plain = text.replace("\\.", ".").lower()
        if (
            plain not in self.e.learned_domains
            and not self.e._looks_like_domain(plain)
            and not self._under_learned(plain)
        ):
            # A domain with a file extension after it (`/help/example.de.html`, `example.de.db`):
            # the domain part is site data even though the whole is a file name.
            head, dot, ext = text.rpartition(".")
            if (
                dot
                and head.count(".") >= 1
                and ext.lower() in keeplist.FILE_EXTENSIONS
                and not head.endswith("\\")
            ):
                head_plain = head.replace("\\.", ".").lower()
                if head_plain in self.e.learned_domains or self.e._looks_like_domain(head_plain):
                    return self.e.domain(head) + dot + ext
            return self._known_words(text)
        return self.e.domain(text)

    def _known_words(self, text: str) -> str:
        """A dotted word that is no domain (`mx1.pem`, `mx1.example.dem`): its learned words
        replaced, as the scanner's KNOWNDOT replaces them; Postfix's own file names and a file
        extension kept (`transport.db` where a host is called `db`)."""
        bare = self.e._bare
        if bare is None or keeplist.is_postfix_file_name(text):
            return text
        head, dot, ext = text.rpartition(".")
        if dot and ext.lower() in keeplist.FILE_EXTENSIONS:
            return bare.sub_dot(head, self.known_text) + dot + ext
        return bare.sub_dot(text, self.known_text)

    # ---- value replacements ---------------------------------------------------------------
    def _under_learned(self, plain: str) -> bool:
        """`badhost.dom.tld` once `dom.tld` is a site domain (its TLD no public one)."""
        if not self.e.learned_domains or plain.endswith("."):
            return False
        labels = plain.split(".")
        return any(".".join(labels[i:]) in self.e.learned_domains for i in range(1, len(labels) - 1))
