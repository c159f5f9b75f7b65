"""The anonymization engine: learned site values, keyed shape-keeping replacements, one scanner."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import MutableMapping, MutableSet, Sequence
from re import Match, Pattern
from typing import (
    Any,
    Callable,
)

from postfinger_py.anonymize import compound, keeplist, partnet
from postfinger_py.anonymize.bare import BareWords, merged
from postfinger_py.anonymize.handlers import Handlers
from postfinger_py.anonymize.ipanon import IpAnonymizer
from postfinger_py.anonymize.keys import subkey
from postfinger_py.anonymize.maps import EngineState
from postfinger_py.anonymize.parallel import PARALLEL_MIN_CHARS
from postfinger_py.anonymize.patterns import (
    ALTERNATIVES,
    ATOM_SPLIT,
    CFLINE_KEYS,
    RDNS_HINT,
    SECRET_MASK,
    SECRET_WORDS,
    SLOW_LINE,
    TLD,
    build_outer,
    build_scanner,
    build_token_outer,
    needs_extras,
)
from postfinger_py.anonymize.shape import keyed_shape, recase, strict_shape
from postfinger_py.anonymize.spill import SpillSet, SpillStore, first_with_prefix, in_order, spilling
from postfinger_py.anonymize.suffix import _tld_is_public, public_suffix_of

_SPLIT_DOTS = re.compile(r"(\\?\.)")
# The syslog head of a line, with the program tag (`postfix/smtpd[123]:`) after the host: the
# outer pattern changes such a tag only where its name holds a learned word (`-o syslog_name=
# postfix/mx1`), so it is taken whole here instead of being looked up as one more distinct piece
# per process ID (Engine._prog_changes says which names hold one).
_TLD_SHAPED = re.compile(TLD)
# Words the patterns that learn a user by position take when the text is prose, not a name
# (Dovecot's `mailbox for user is full`): never learned as one.
_NOT_NAMES = frozenset(
    "is was are has had not no the a an and or of to in on at by as be for from with that this "
    "which who unknown does exists found".split()
)
_SYSLOG_LINE = re.compile(dict(ALTERNATIVES)["SYSLOG"][1:] + r"(?: (?P<sl_prog>[\w/.-]*)\[\d+\]:(?!\S))?")
# Encoded dots, hyphens and at signs: URL, HTML entity, quoted-printable, JSON/C escapes.
_ENC = (
    r"%2[EeDd]|%40|&#(?:46|45|64);|&#[xX](?:2[EeDd]|40);|=2[EeDd]|=40"
    r"|\\u00(?:2[EeDd]|40)|\\x(?:2[EeDd]|40)"
    # a regular expression's escaped dot, between digits (`172\.22\.1\.15` of a
    # header_checks or pcre table; escaped names are matched as names, see DOT)
    r"|(?<=\d)\\\.(?=\d)"
)
_ENC_RUN = re.compile(rf"(?:[\w.-]|{_ENC})*(?:{_ENC})(?:[\w.-]|{_ENC})*")
_ENC_PIECE = re.compile(rf"{_ENC}|.", re.DOTALL)
_ENC_CHARS = {
    "%2e": ".",
    "%2d": "-",
    "%40": "@",
    "&#46;": ".",
    "&#45;": "-",
    "&#64;": "@",
    "&#x2e;": ".",
    "&#x2d;": "-",
    "&#x40;": "@",
    "=2e": ".",
    "=2d": "-",
    "=40": "@",
    "\\u002e": ".",
    "\\u002d": "-",
    "\\u0040": "@",
    "\\x2e": ".",
    "\\x2d": "-",
    "\\x40": "@",
    "\\.": ".",
}
# (Not a regexp's escaped dots alone: the scanner reads those, DOT and IPV4RE.)
_ENC_MARK = re.compile(r"%[24]|&#|=[24]|\\[ux]")


def _has_encoding(token: str) -> bool:
    """Whether the token holds an encoded dot, hyphen or `@` (substring tests first: fast)."""
    return _ENC_MARK.search(token) is not None and _ENC_RUN.search(token) is not None


# Between the words of a hyphenated label written as words: a space, `_`, nothing, an encoded
# hyphen (quoted-printable headers: `=?UTF-8?Q?Northwind=2DTraders_invoice?=`).
_PHRASE_SEP_ONLY = r"=2[Dd]|%2[Dd]|&#45;|\\u002[dD]"
_PHRASE_SEP = rf"(?:[ _]|{_PHRASE_SEP_ONLY}|)"
# A quoted-printable soft line break inside a word (`info@acme-rob=` NEWLINE `otics.com`).
_SOFT_HEAD = re.compile(r"[\w.@%+-]+\Z")
_SOFT_TAIL = re.compile(r"[\w.@-]+")
_ATOM_CHARS = frozenset("=<>[](),;\"'")
MEMO_LIMIT = 200_000
# Hyphenated labels also looked for as words (`Acme Co`): the first this many learned. Each is a
# substring search over every text: a log of spam senders teaches thousands (`best-deals.com`),
# which made a part's replacing take minutes (3 MB with 12,000 of them: 31 s).
PHRASE_LABELS = 128


# The non-ASCII characters that match an ASCII letter case-insensitively, folded to it (each
# stays one character, so offsets keep).
_FOLD = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}
_CFLINE_START = re.compile(rf"\n[ \t]*(?:{CFLINE_KEYS})[ \t]*=")


# An SMTP reply line's code before a name (`250-mail.example.com`; not `123-reg.co.uk`).
_REPLY_CODE = re.compile(r"[2-5][0-5]\d-(?=[^\W\d_])")
# An access(5) key that is a network's first octets (`10.44`, `192.168.7`, `2001:db8:7f91`) at
# the start of a table line, before the table's action: an OK/REJECT/... word, a reply code, a
# restriction (`permit_...`), a restriction class of the site's. (Not a version, `3.7.11`.)
_ACCESS_ACTION = (
    r"(?:OK|REJECT|DUNNO|DEFER(?:_IF_(?:PERMIT|REJECT))?|DISCARD|HOLD|FILTER|PREPEND|REDIRECT|BCC"
    r"|INFO|WARN|RELAY|PERMIT|SMTPUTF8|[45]\d\d|(?:permit|reject|check|defer|warn_if)_\w+)"
)
_ACCESS_NET = re.compile(
    r"^[ \t]*(?P<an>\d{1,3}(?:\.\d{1,3}){1,2}|[0-9A-Fa-f]{4}(?::[0-9A-Fa-f]{1,4}){1,6})"
    r"(?=[ \t]+(?P<an_act>[\w-]+)(?![\w-]))",
    re.MULTILINE,
)
_ACCESS_ACTION_WORD = re.compile(rf"(?i:{_ACCESS_ACTION})")
# (A literal newline first: 4 ms on 10 MB of syslog, where `^` in MULTILINE took 36.)
_ACCESS_NET_HINT = re.compile(r"\n[ \t]*[0-9A-Fa-f]{1,4}[.:]")
# A telephone number in international form: `+`, then digits in groups (a `(0)` too); never
# after a word character (`user+20261207@`, base64) nor before one.
_PHONE = re.compile(r"\+(?<![\w+]\+)\d(?:[ .-]?(?:\(\d{1,4}\)|\d)){6,18}(?![\w@+])")
# A name someone already hid (`XXX.XXX.XXX.XXX`, `xxxx.xx`, `***.***`): not a name.
_REDACTED = re.compile(r"(?:x+|\*+)(?:\.(?:x+|\*+))+", re.IGNORECASE)
# The local part of a Message-ID Postfix made (cleanup(8): the time, and the queue ID that the
# rest of the log names as it is), `20210119212514.7B35136FA61`.
_POSTFIX_MESSAGE_ID = re.compile(r"\d{14}\.[0-9A-Za-z]{5,}")
# Postfix's expansions inside a local part or user name (a regexp's back-reference `$1`, one
# digit), and a regexp's escapes of the characters a local part holds.
_EXPANSION = re.compile(r"(\$(?:\d|\{[^{}\s@]*\}|[A-Za-z_]\w*))")
# A local part that is ldap_table(5)'s and mysql_table(5)'s expansions only (`%u`, `%s`, `%1.%2`).
_TABLE_EXPANSIONS = re.compile(r"(?:%[sSuUdD1-9]|[.+_-])+")
_REGEXP_ESCAPE = re.compile(r"\\([.+-])")


def _escaped_like(original: str, replaced: str) -> str:
    """`replaced` (of the unescaped `original`) with the escapes of `original` where they were."""
    out: list[str] = []
    i = j = 0
    while i < len(original) and j < len(replaced):
        if original[i] == "\\" and i + 1 < len(original) and original[i + 1] in ".+-":
            out.append("\\")
            i += 1
        out.append(replaced[j])
        i += 1
        j += 1
    return "".join(out) + replaced[j:]


def fold_lower(text: str) -> str:
    """`text` in lower case, character for character, with the letters that re.IGNORECASE
    takes for an ASCII letter (the dotless i, the long s, the Kelvin sign) as that letter."""
    return text.lower() if text.isascii() else text.translate(_FOLD).lower()


def line_starts_holding(low: str, words: Sequence[str]) -> set[int]:
    """Where each line of `low` that holds one of `words` starts (substring search: fast)."""
    starts = set()
    for word in words:
        i = low.find(word)
        while i >= 0:
            starts.add(low.rfind("\n", 0, i) + 1)
            i = low.find(word, i + 1)
    return starts


def _slow_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line SLOW_LINE matches in, in order; found by substring search.

    SLOW_LINE's case-insensitive alternation costs about 1.5 s on 10 MB of log when run over
    the whole text; candidate lines are found by plain substring searches (memchr-fast), and
    only those lines are checked with it.
    """
    starts = line_starts_holding(fold_lower(text), SECRET_WORDS)
    for m in _CFLINE_START.finditer("\n" + text):
        starts.add(m.start())
    spans = []
    for start in sorted(starts):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if SLOW_LINE.search(text, start, end):
            spans.append((start, end))
    return spans


def _fully_qualified(text: str) -> bool:
    """A name with one trailing dot (not two, not a regexp-escaped one) after something."""
    return len(text) > 1 and text.endswith(".") and not text.endswith(("..", "\\."))


def _camel_part(text: str, i: int, j: int) -> bool:
    """Whether text[i:j] is a capitalized part of a CamelCase word: a part after it, or a
    lower-case part before it, and no dot or `@` around the word."""
    if not (text[i].isupper() and text[i + 1 : j].islower()):
        return False
    after_part = j + 1 < len(text) and text[j].isupper() and text[j + 1].islower()
    after_end = j == len(text) or not text[j].isalnum()
    before_part = i > 0 and text[i - 1].islower()
    before_end = i == 0 or not text[i - 1].isalnum()
    if not ((before_end and after_part) or (before_part and (after_end or after_part))):
        return False
    s, e = i, j
    while s > 0 and text[s - 1].isalnum():
        s -= 1
    while e < len(text) and text[e].isalnum():
        e += 1
    return not ((s > 0 and text[s - 1] in ".@") or (e < len(text) and text[e] in ".@"))


class _Memo(dict):  # type: ignore[type-arg]
    """A dict that computes a missing value with `fn` (at C speed for hits); cleared when full."""

    def __init__(self, fn: Callable[[str], str]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: str) -> str:
        value = self.fn(key)
        if len(self) >= MEMO_LIMIT:
            self.clear()
        self[key] = value
        return value


class Engine:
    """Replaces site values consistently. Learn first (learn_*), then freeze(), then apply()."""

    def __init__(self, key: bytes, mode: str = "on", keep: Sequence[str] = ()) -> None:
        if mode not in ("on", "strict", "off"):
            raise ValueError(f"unknown anonymization mode {mode!r}")
        self.mode = mode
        self._ip = IpAnonymizer(key)
        self._k_label = subkey(key, "domain-label")
        self._k_user = subkey(key, "user")
        self._k_text = subkey(key, "text")
        self._keep = keeplist.compile_user_patterns(keep)
        self._keywords = keeplist.keywords()
        self._report_words = keeplist.report_words()
        # What the site's own structure says (learned before replacing).
        # (Plain containers, or kept on disk between the parts of a stream: spill_learned_to.)
        self.short_hosts: MutableMapping[str, str] = {}  # single label (lower) -> its parent (lower)
        self.learned_domains: MutableSet[str] = set()
        self.users: MutableSet[str] = set()
        # Three-octet numbers the text shows as networks (partnet.py: sqlgrey's class C).
        self.short_nets: set[str] = set()
        # Called now and then in a long walk over what was learned (a stream's spill: see
        # spill_learned_to), so what the walk adds does not pile up in memory.
        self.spill_hook: Callable[[], object] | None = None
        self.spill_every = 10_000  # names walked between two calls
        self.secrets: set[str] = set()
        self.defined_names: set[str] = set()
        # The domains the site receives mail for (mydomain, mydestination, ...), lower case:
        # the local part of an address there is a mailbox of the site (see learn.py).
        self.own_domains: set[str] = set()
        self._first_words: dict[str, str] = {}  # first word -> the site's hyphenated label
        self._camel_words: list[str] = []  # the site's own names looked for in CamelCase words
        # What was chosen so far (the maps per kind, and what was replaced): see maps.py.
        self.state = EngineState()
        self._occ: dict[tuple[str, str], str] = {}
        self._scanner: Pattern[str] | None = None
        self._scanner_x: Pattern[str] | None = None  # with EXTRAS, made when first needed
        self._bare: BareWords | None = None  # the learned users and short hosts, as words
        self._stale = False
        self._outer: Pattern[str] | None = None
        self._token_outer: Pattern[str] | None = None
        self._progs: dict[str, bool] = {}
        self._atoms_ok = False
        self._pieces = _Memo(self._piece)
        # Text at least this long is done on two CPUs where possible (see parallel.py); strict
        # mode gives many labels the same replacement, which the halves cannot agree on.
        self.parallel_min = PARALLEL_MIN_CHARS
        self._atoms = _Memo(self._atom)
        self._long_secrets: list[str] = []
        self._names: list[str] | None = None
        self._phrases: Pattern[str] | None = None
        self._phrase_labels: dict[str, str] = {}
        self._phrase_starts: list[str] = []
        self.compound_labels: tuple[str, ...] = ()  # see compound.py
        self._underscored: dict[str, dict[str, str]] = {}  # `_co_uk` -> {label: "co.uk"}
        self._tokens: dict[str, str] = {}
        self._hosts: dict[str, str] = {}
        self._h = Handlers(self)
        self._handlers: dict[str, Callable[[Match[str]], str]] = self._h.table()

    @property
    def replaced(self) -> dict[tuple[str, str], str]:
        """(kind, original) -> replacement of everything replaced so far (map file, leak check)."""
        return self.state.replaced

    # ---- learning -------------------------------------------------------------------------
    def is_keyword(self, word: str) -> bool:
        return word.lower() in self._keywords

    def not_a_name(self, word: str) -> bool:
        """Whether `word` is never learned as a bare name: a keyword, or a word of the report's
        own text (a host `in.example.com` taught `in`, replaced in all prose, and the report
        refused itself where its fixed text held one), or a name the configuration defines
        (a restriction class that an access table names as its result)."""
        low = word.lower()
        return low in self._keywords or low in self._report_words or low in self.defined_names

    def learn_defined_name(self, name: str) -> None:
        """A name the configuration defines (a parameter, a restriction class): no user."""
        self.defined_names.add(name.lower())

    def kept_by_user(self, value: str) -> bool:
        return bool(self._keep) and any(p.fullmatch(value) for p in self._keep)

    @property
    def keep_patterns(self) -> tuple[Pattern[str], ...]:
        """The compiled --keep patterns."""
        return self._keep

    def learn_host(self, name: str, is_own_host: bool = False) -> None:
        """A host or domain name the configuration names (myhostname, relayhost, hosts = ...)."""
        name = name.strip().strip("[]").rstrip(".")
        if not name or "$" in name or self.kept_by_user(name):
            return
        try:
            ipaddress.ip_address(name)
            return  # addresses are found by the scanner wherever they are
        except ValueError:
            pass
        if not re.fullmatch(r"[\w-]+(?:\.[\w-]+)*", name):
            return
        lowered = name.lower()
        labels = lowered.split(".")
        if keeplist.domain_is_kept(lowered):
            return
        if len(labels) == 1:
            if not self.not_a_name(lowered):
                self.short_hosts.setdefault(lowered, "")
            return
        if not _TLD_SHAPED.fullmatch(labels[-1]):
            return  # (`mail.x`, `host.local1`: no domain to the scanner, so never replaced)
        if lowered not in self.learned_domains:
            self.learned_domains.add(lowered)
            self._stale = True  # its label is a learned word only after freeze()
        if is_own_host and not self.not_a_name(labels[0]):
            self.short_hosts[labels[0]] = ".".join(labels[1:])

    def learn_short_host(self, label: str) -> None:
        lowered = label.lower()
        if lowered in self.short_hosts:
            return
        if (
            not lowered
            or "." in lowered
            or self.not_a_name(lowered)
            or keeplist.domain_is_kept(lowered)
            or self.kept_by_user(label)
        ):
            return
        if lowered not in self.short_hosts:
            # The parent of the first learned domain (in sorted order) whose first label it is.
            first = first_with_prefix(self.learned_domains, lowered + ".")
            self.short_hosts[lowered] = first.split(".", 1)[1] if first is not None else ""

    def learn_user(self, user: str) -> None:
        user = user.strip()
        if "." in user and user.lower() in self.learned_domains:
            return  # (a domain where a user stands, `kestrel.co.uk:sel:/key`: replaced as one)
        if (
            len(user) >= 2
            and user.lower() not in _NOT_NAMES
            and not self.not_a_name(user)
            and not self.kept_by_user(user)
            and not user.isdigit()
            and re.fullmatch(r"[\w.+-]+", user)
        ):
            self.users.add(user.lower())

    def learn_secret(self, secret: str) -> None:
        secret = secret.strip()
        if secret and secret != SECRET_MASK:
            self.secrets.add(secret)

    def _learn_registrable_labels(self) -> None:
        """The label before each learned domain's public suffix (`acme-robotics` of
        mx1.acme-robotics.com) is the site's name as a word too (`ESMTP Acme-Robotics mail`):
        a bare word, replaced in any case exactly as inside the domain (keyed on the suffix)."""
        for name in spilling(in_order(self.learned_domains), self.spill_hook, self.spill_every):
            labels = name.split(".")
            suffix = public_suffix_of(labels)
            keep_n = suffix.count(".") + 1
            if len(labels) <= keep_n:
                continue
            label = labels[-keep_n - 1]
            if (
                len(label) >= 3
                and label not in self.short_hosts
                and not label.isdigit()
                and not self.not_a_name(label)
                and not keeplist.domain_is_kept(label)
                and not self.kept_by_user(label)
                and re.fullmatch(r"[\w-]+", label)
            ):
                self.short_hosts[label] = suffix
        camel: set[str] = set()
        for name in sorted(self.own_domains):
            # The first word of the site's own hyphenated name is its name too where it stands
            # alone (`/run/kestrel-dkim`, `o=Kestrel` of kestrel-logistics.co.uk): a word of four
            # letters at least and no keyword (not `mail` of mail-online.de). Replaced as the
            # name's first word is (see _label). The site's domains only: a spam run's senders
            # (`best-deals.com`) would teach common words.
            labels = name.split(".")
            keep_n = public_suffix_of(labels).count(".") + 1
            if len(labels) <= keep_n:
                continue
            label = labels[-keep_n - 1]
            first = label.split("-", 1)[0]
            if (
                first != label
                and len(first) >= 4
                and first.isalpha()
                and self.short_hosts.get(label) is not None
                and first not in self.short_hosts
                and not self.not_a_name(first)
                and not keeplist.domain_is_kept(first)
                and not self.kept_by_user(first)
            ):
                self.short_hosts[first] = self.short_hosts[label]
                self._first_words[first] = label
            if first in self._first_words:
                camel.add(first)
            elif "-" not in label and len(label) >= 4 and label.isalpha() and label in self.short_hosts:
                camel.add(label)
        self._camel_words = sorted(camel, key=lambda w: (-len(w), w))

    def freeze(self) -> None:
        self._stale = False
        if self.mode != "off":  # (names are not replaced then: no need of the suffix list)
            self._learn_registrable_labels()
        bare = BareWords((self.users, self.short_hosts))
        self._bare = bare if bare and self.mode != "off" else None
        known = self._bare is not None
        self._scanner = build_scanner(sorted(self.secrets), self.mode == "off")
        self._scanner_x = None
        self._outer = build_outer(known, self.mode == "off")
        self._token_outer = None if self.mode == "off" else build_token_outer(known)
        # Tokens may be cut into atoms only if no learned name or short secret holds a cut
        # character (or one of its matches could span a cut), and no long secret holds `*`:
        # then no long secret survives mask_secrets (a new occurrence made by masking would
        # have to contain a `*` of the mask), so the scanner's SECRET alternative never matches.
        # A long secret holding a dot also matches with that dot regexp-escaped (`a\.b`), which
        # masking does not catch: if it holds a cut character too, no atoms either.
        self._atoms_ok = (
            not any(
                "*" in v or ("." in v and _ATOM_CHARS.intersection(v))
                for v in self._long_secrets_of(self.secrets)
            )
            and not bare.holds_any(_ATOM_CHARS)
            and not any(_ATOM_CHARS.intersection(v) for v in self.secrets if len(v) < 4)
        )
        self._pieces.clear()
        self._progs.clear()
        self._atoms.clear()
        self._long_secrets = self._long_secrets_of(self.secrets)
        self._names = None
        self._learn_phrases()
        self._occ.clear()
        self._tokens.clear()
        self._hosts.clear()

    def spill_learned_to(self, store: SpillStore) -> None:
        """Keep the learned names in `store` from now on: a log of many distinct senders
        teaches a domain (and its registrable label, a bare word) per line. The same choices:
        every walk over them is in sorted order, or in insertion order where any order does."""
        self.learned_domains = SpillSet(store, "learned_domains", self.learned_domains)
        self.users = SpillSet(store, "learned_users", self.users)
        hosts = store.new_dict("learned_hosts")
        hosts.update(self.short_hosts)
        self.short_hosts = hosts
        self.freeze()  # (BareWords reads the containers it is given)

    def trim_caches(self) -> None:
        """Drop the memos of pieces, atoms, tokens, matches and hosts, and the address memos.

        They only save recomputing (each entry is a pure function of the learned state and the
        replacements already chosen, which stay), so dropping them between the parts of a
        stream keeps memory bounded by a part, not by the whole input, with the same output.
        """
        self._pieces.clear()
        self._atoms.clear()
        self._occ.clear()
        self._tokens.clear()
        self._hosts.clear()
        self._progs.clear()
        self._ip.trim_caches()

    @staticmethod
    def _long_secrets_of(secrets: set[str]) -> list[str]:
        """The secrets masked wherever they are, longest first (build_scanner's SECRET)."""
        return sorted((s for s in secrets if len(s) >= 4), key=lambda s: (-len(s), s))

    # ---- applying -------------------------------------------------------------------------
    def scanner(self) -> Pattern[str]:
        if self._scanner is None:
            self.freeze()
        assert self._scanner is not None
        return self._scanner

    def scanner_for(self, token: str) -> Pattern[str]:
        """The scanner, with the EXTRAS alternatives where the token has their marks."""
        if self.mode == "off" or not needs_extras(token):
            return self.scanner()
        if self._scanner_x is None:
            self.scanner()
            self._scanner_x = build_scanner(sorted(self.secrets), False, True)
        return self._scanner_x

    def outer(self) -> Pattern[str]:
        self.scanner()
        assert self._outer is not None
        return self._outer

    def mask_secrets(self, text: str) -> str:
        """Learned secrets are masked wherever they are, before anything else looks at the text.

        First a learned name that a quoted-printable soft line break cuts in two (`acme-rob=`
        NEWLINE `otics.com`) is made whole: the break moves after it (the same lines, each
        still decoding to the same text)."""
        if "=\n" in text:
            text = self._join_soft_breaks(text)
        if self.mode != "off" and (_ACCESS_NET_HINT.match("\n" + text[:8]) or _ACCESS_NET_HINT.search(text)):
            text = _ACCESS_NET.sub(self._access_network, text)
        if self.mode != "off":
            if self.short_nets:
                text = self._replace_short_nets(text)
            if "in-addr." in text or "IN-ADDR." in text:
                text = partnet.ARPA.sub(self._replace_arpa, text)
            if "ip6." in text or "IP6." in text:
                text = partnet.ARPA6.sub(self._replace_arpa6, text)
            if "+" in text:
                text = _PHONE.sub(self._phone, text)
        if self._phrases is not None:
            text = self._replace_phrases(text)
        if self.compound_labels:
            if "_" in text:
                text = self._replace_underscored(text)
            text = self._replace_compounds(text)
        if self._camel_words and self.mode != "off":
            text = self._replace_camel(text)
        for secret in self._long_secrets:
            if secret in text:
                text = text.replace(secret, SECRET_MASK)
        return text

    def _learn_phrases(self) -> None:
        """A learned hyphenated label written as words (`Northwind Traders`, `NorthwindTraders`,
        `Northwind_Traders`, `Northwind=2DTraders`): the words replaced as the label's parts.
        Never beside a dot or `@` (there it is a domain's label, replaced as such)."""
        self._phrases, self._phrase_labels, self._phrase_starts = None, {}, []
        self.compound_labels = ()
        self._underscored = {}
        if self.mode == "off":
            return
        chosen: list[str] = []
        compounds: list[str] = []
        for label in self.short_hosts:  # (learned first, first: the configuration's names)
            parts = label.split("-")
            # (`acme-co` too: `AcmeCo`; a first word of three letters, the rest of two)
            if (
                len(chosen) < PHRASE_LABELS
                and len(parts) > 1
                and len(parts[0]) >= 3
                and len(label) >= 6
                and all(len(p) >= 2 and p.isalpha() for p in parts)
            ):
                chosen.append(label)
            if (
                len(compounds) < compound.COMPOUND_LABELS
                and len(label) >= compound.COMPOUND_MIN
                and "_" not in label
                and self._is_registrable_label(label)
            ):
                compounds.append(label)
            if len(chosen) == PHRASE_LABELS and len(compounds) == compound.COMPOUND_LABELS:
                break
        self.compound_labels = compound.pick(compounds)
        # Each label by the tail its suffix makes (`_co_uk`): a few searches, not one per label.
        for label in self.compound_labels:
            suffix = self.short_hosts.get(label) or ""
            if suffix:
                self._underscored.setdefault("_" + suffix.replace(".", "_"), {})[label] = suffix
        for label in sorted(chosen):
            self._phrase_labels[label.replace("-", "")] = label
        if not self._phrase_labels:
            return
        alts = [
            _PHRASE_SEP.join(f"(?i:{re.escape(p)})" for p in label.split("-"))
            for label in sorted(self._phrase_labels.values(), key=len, reverse=True)
        ]
        # (`_` beside it is a separator: `Rechnung_f=C3=BCr_Kestrel_Logistics`, an RFC 2047 word.)
        # (A dot after it is a sentence's end, or a file's extension after words: see _h_phrase.)
        self._phrases = re.compile(rf"(?<![^\W_]|[.@-])(?:{'|'.join(alts)})(?![^\W_]|[@-])")
        self._phrase_starts = sorted({lab.split("-")[0] for lab in self._phrase_labels.values()})

    def _is_registrable_label(self, label: str) -> bool:
        """Whether this learned short host is a registrable label (its value a public suffix:
        the site's name, `acme-robotics` of acme-robotics.com), not a host (`mx1`)."""
        value = self.short_hosts.get(label)
        return value is not None and value != "" and public_suffix_of(value.split(".")) == value

    def _replace_compounds(self, text: str) -> str:
        """Each registrable label inside a compound word (see compound.py) replaced as the
        label is everywhere, in the case it is written in."""
        low = compound.lowered(text)
        return self._replace_name_spans(
            text, low, compound.compound_spans_by_words(low, self.compound_labels)
        )

    def _replace_name_spans(self, text: str, low: str, spans: list[tuple[int, int, str]]) -> str:
        """Each (start, end, name) span, in order, replaced as the name is everywhere, in the
        case it is written in; not one overlapping the span before, nor one inside a learned
        word (`acme-relay`, a learned user: the main pass replaces it whole)."""
        out: list[str] = []
        pos = 0
        for start, end, name in spans:
            if start < pos or self._in_learned_word(low, start, end):
                continue
            out += [text[pos:start], self._case(text[start:end], self.host(name))]
            pos = end
        return "".join(out) + text[pos:] if out else text

    def _replace_camel(self, text: str) -> str:
        """The site's own name as a part of a CamelCase word (`ESMTP KestrelMail`,
        `MyKestrel`): replaced as the name is, in its case. Not inside a domain name or an
        address (a dot or `@` beside the word: the domain logic's), nor glued to lower-case
        letters (`kestrelstaff`: too many words begin with a common name)."""
        low = compound.lowered(text)
        hits = []
        for word in self._camel_words:
            i = low.find(word)
            while i >= 0:
                if _camel_part(text, i, i + len(word)):
                    hits.append((i, i + len(word), word))
                i = low.find(word, i + 1)
        return self._replace_name_spans(text, low, sorted(hits))

    def _access_network(self, m: Match[str]) -> str:
        """An access(5) table's network written as its first octets (`10.44  OK`, `2001:db8:7f91
        REJECT`): as that network maps (the mapping keeps prefixes), the octets it has."""
        text, action = m.group("an"), m.group("an_act")
        if not _ACCESS_ACTION_WORD.fullmatch(action) and action.lower() not in self.defined_names:
            return m.group(0)  # (not a table's action, nor a restriction class the site defines)
        out = self._net_prefix(text)
        if out is None:
            return m.group(0)
        return m.group(0)[: m.start("an") - m.start()] + out

    def _net_prefix(self, text: str) -> str | None:
        """A network written as its first octets or groups (`10.44`, `2001:db8:7f91`), as that
        network maps: the octets it has. None if it is no network."""
        if ":" in text:
            groups = text.split(":")
            full, plen, sep = text + "::", 16 * len(groups), ":"
        else:
            groups = text.split(".")
            full, plen, sep = ".".join(groups + ["0"] * (4 - len(groups))), 8 * len(groups), "."
        try:
            addr = ipaddress.ip_address(full)
        except ValueError:
            return None
        out = self._address(addr, str(addr) if ":" in text else full, str(plen))
        if out is None:
            return None
        if self.mode == "strict":
            return strict_shape(text)
        net = ipaddress.ip_network(out)
        if ":" in text:
            mapped = net.network_address.exploded.split(":")[: len(groups)]
            parts = [format(int(g, 16), "x") for g in mapped]
        else:
            parts = str(net.network_address).split(".")[: len(groups)]
        return sep.join(parts)

    def _replace_short_nets(self, text: str) -> str:
        """Each learned three-octet network standing alone (sqlgrey's `81.2.69(81.2.69.160)`,
        see partnet.py) as its network maps."""
        out: list[str] = []
        pos = 0
        for start, end in partnet.spans(text):
            net = text[start:end]
            if net in self.short_nets:
                repl = self._net_prefix(net)
                if repl is not None and repl != net:
                    self.replaced[("ip network", net)] = repl
                    out += [text[pos:start], repl]
                    pos = end
        return "".join(out) + text[pos:] if out else text

    def _replace_arpa(self, m: Match[str]) -> str:
        """A reverse zone of one to three octets (`69.2.81.in-addr.arpa`), as its network maps."""
        octets = m.group(1)[:-1]
        net = ".".join(reversed(octets.split(".")))
        repl = self._net_prefix(net)
        if repl is None or repl == net:
            return m.group(0)
        out = ".".join(reversed(repl.split("."))) + "." + m.group(2)
        self.replaced[("ip network", m.group(0).lower())] = out
        return out

    def _replace_arpa6(self, m: Match[str]) -> str:
        """An IPv6 reverse name (nibbles, the last first): as its network (or address) maps."""
        nibbles = m.group(1)[:-1].split(".")
        digits = "".join(reversed(nibbles)).lower()
        addr = ipaddress.IPv6Address(int(digits.ljust(32, "0"), 16))
        plen = None if len(digits) == 32 else str(4 * len(digits))
        out = self._address(addr, str(addr), plen)
        if out is None:
            return m.group(0)
        if self.mode == "strict":
            new = strict_shape(m.group(1))
        else:
            mapped = ipaddress.ip_network(out, strict=False).network_address.exploded.replace(":", "")
            new = ".".join(reversed(mapped[: len(digits)])) + "."
        if new.lower() == m.group(1).lower():
            return m.group(0)
        result = new + m.group(2)
        self.replaced[("ip network", m.group(0).lower())] = result
        return result

    def _in_learned_word(self, low: str, start: int, end: int) -> bool:
        """Whether low[start:end] is a part of a hyphenated word learned whole (a user or a
        host: `acme-relay`), which is replaced as that word, not as its parts."""
        s, e = start, end
        while s > 0 and (low[s - 1].isalnum() or low[s - 1] == "-"):
            s -= 1
        while e < len(low) and (low[e].isalnum() or low[e] == "-"):
            e += 1
        word = low[s:e].strip("-")
        return word != low[start:end] and (word in self.users or word in self.short_hosts)

    def _replace_underscored(self, text: str) -> str:
        """A learned host name written with `_` for its dots, as in a certificate's file name
        (`/etc/ssl/mx1_example_co_uk.pem` of mx1.example.co.uk): replaced as that name, the
        `_` kept. Found from the registrable name's tail (`_example_co_uk`); the host's labels
        before it make the longest learned name. (The tail alone is a compound's, see below.)"""
        low = compound.lowered(text)
        out: list[str] = []
        pos = 0
        hits = []
        for tail, labels in self._underscored.items():
            i = low.find(tail)
            while i >= 0:
                end = i + len(tail)
                if end == len(low) or not (low[end].isalnum() or low[end] in "_-"):
                    # (A compound label holds no `_`: it is all between the `_` before and here.)
                    at = low.rfind("_", 0, i)
                    label = low[at + 1 : i]
                    if at >= 0 and label in labels:
                        hits.append((at, end, label, labels[label]))
                i = low.find(tail, i + 1)
        for i, end, label, suffix in sorted(hits):
            if i < pos:
                continue
            start = i
            while start > 0 and (low[start - 1].isalnum() or low[start - 1] in "_-"):
                start -= 1
            hosts = low[start:i].split("_")
            for k in range(len(hosts)):
                name = ".".join([*hosts[k:], label, suffix])
                if all(hosts[k:]) and name in self.learned_domains:
                    begin = start + sum(len(h) + 1 for h in hosts[:k])
                    dotted = text[begin:end].replace("_", ".")
                    replaced = self.domain(dotted)
                    if len(replaced) == len(dotted):
                        out += [text[pos:begin], replaced.replace(".", "_")]
                        pos = end
                    break
        return "".join(out) + text[pos:] if out else text

    def _replace_phrases(self, text: str) -> str:
        """_phrases.sub(_h_phrase, text), tried only where a first word starts (found by
        substring search: one case-insensitive pass cost 0.2 s on 10 MB of log, here)."""
        assert self._phrases is not None
        if not text.isascii():
            return self._phrases.sub(self._h_phrase, text)
        low = text.lower()
        starts = set()
        for first in self._phrase_starts:
            i = low.find(first)
            while i >= 0:
                if i == 0 or not (low[i - 1].isalnum() or low[i - 1] in ".@-"):
                    starts.add(i)
                i = low.find(first, i + 1)
        out: list[str] = []
        pos = 0
        for start in sorted(starts):
            if start < pos:
                continue
            m = self._phrases.match(text, start)
            if m is not None:
                out += [text[pos:start], self._h_phrase(m)]
                pos = m.end()
        return "".join(out) + text[pos:] if out else text

    def _h_phrase(self, m: Match[str]) -> str:
        text = m.group(0)
        after = m.string[m.end() : m.end() + 2]
        if after[:1] == "." and after[1:].isalnum() and " " not in text and "_" not in text:
            return text  # a domain's label (`KestrelLogistics.com`): replaced as such
        letters = [i for i, ch in enumerate(text) if ch.isalpha()]
        # The letters of an encoded separator (`=2D`, `&#45;`) are not the label's.
        seps = [sm.span() for sm in re.finditer(_PHRASE_SEP_ONLY, text)]
        letters = [i for i in letters if not any(a <= i < b for a, b in seps)]
        word = "".join(text[i] for i in letters).lower()
        label = self._phrase_labels.get(word)
        if label is None:
            return text
        repl = self.host(label).replace("-", "").lower()
        if len(repl) != len(letters):
            return text
        out = list(text)
        for i, ch in zip(letters, repl):
            out[i] = ch.upper() if text[i].isupper() or self.mode == "strict" else ch
        return "".join(out)

    def _join_soft_breaks(self, text: str) -> str:
        """_SOFT_BREAK's matches, found from each `=` NEWLINE (substring search: the pattern
        over the whole text cost 0.2 s on 10 MB of log, here), each given to _join_soft_break."""
        out: list[str] = []
        pos = 0
        i = text.find("=\n")
        while i >= 0:
            head = _SOFT_HEAD.search(text, max(pos, i - 256), i)
            tail = _SOFT_TAIL.match(text, i + 2)
            if head is not None and tail is not None:
                joined = self._join_soft_break(head.group(0), tail.group(0))
                if joined is not None:
                    out += [text[pos : head.start()], joined]
                    pos = tail.end()
            i = text.find("=\n", max(i + 2, pos))
        return "".join(out) + text[pos:] if out else text

    def _join_soft_break(self, head: str, tail: str) -> str | None:
        joined = (head + tail).lower()
        # The halves' boundary cuts one of the learned names, which neither half holds alone.
        cut = len(head)
        for name in self._soft_break_names():
            i = joined.find(name)
            while i >= 0:
                if i < cut < i + len(name):
                    return head + tail + "=\n"
                i = joined.find(name, i + 1)
        return None

    def _soft_break_names(self) -> list[str]:
        if self._names is None:
            names = set(self._long_secrets)
            if self.mode != "off":  # (then only secrets are replaced)
                names.update(self.learned_domains, self.short_hosts, self.users)
            self._names = sorted(names, key=len, reverse=True)
        return self._names

    def apply(self, text: str) -> str:
        """Anonymize free text (every learned and every detected value): the direct path.

        The same result as `apply_by_regex`, computed line by line and space-separated piece
        by piece, each distinct piece once: on logs, where most pieces repeat, that is several
        times faster than one regex callback per candidate token.
        """
        if self._stale and self._scanner is not None:
            self.freeze()  # a domain learned since (text_filter learns from each text)
        text = self.mask_secrets(text)
        if self.mode == "off":
            return self.outer().sub(self.replace_outer, text)
        if self.mode == "on" and len(text) >= self.parallel_min:
            from postfinger_py.anonymize import parallel

            if parallel.can_fork():
                return parallel.apply_in_halves(self.state, text, self._apply_masked)
        return self._apply_masked(text)

    def _apply_masked(self, text: str) -> str:
        """apply() on one CPU, for text whose secrets are already masked."""
        outer = self.outer()
        parts: list[str] = []
        pos = 0
        for start, end in _slow_lines(text):
            parts.append(self._apply_lines(text[pos:start]))
            # Matched in place, not in a copy of the line: a handler may look at the lines
            # around (pipe(8)'s `user=` on a line of its own, see patterns.pipe_user).
            last = start
            for m in outer.finditer(text, start, end):
                parts.append(text[last : m.start()])
                parts.append(self.replace_outer(m))
                last = m.end()
            parts.append(text[last:end])
            pos = end
        if not parts:
            return self._apply_lines(text)
        parts.append(self._apply_lines(text[pos:]))
        return "".join(parts)

    def apply_by_regex(self, text: str) -> str:
        """The reference: one outer regex pass over the text (tests check apply() agrees)."""
        return self.outer().sub(self.replace_outer, self.mask_secrets(text))

    def _apply_lines(self, text: str) -> str:
        """Lines without a `key = value` table line or a credential (see SLOW_LINE)."""
        get = self._pieces.__getitem__
        syslog = _SYSLOG_LINE.match
        host = self.host
        out: list[str] = []
        append = out.append
        for line in text.split("\n"):
            m = syslog(line)
            if m is None:
                append(" ".join(map(get, line.split(" "))))
            else:
                tag = line[m.end("sl_host") : m.end()]
                prog = m.group("sl_prog")
                if prog and self._prog_changes(prog):
                    tag = " " + get(tag[1:])
                append(
                    m.group("sl_pre")
                    + host(m.group("sl_host"))
                    + tag
                    + " ".join(map(get, line[m.end() :].split(" ")))
                )
        return "\n".join(out)

    def _prog_changes(self, prog: str) -> bool:
        """Whether the outer pattern changes a syslog tag with this program name (the process
        ID in it cannot make a difference: no pattern reaches across `[`)."""
        hit = self._progs.get(prog)
        if hit is None:
            tag = prog + "[1]:"
            hit = self._piece(tag) != tag
            self._progs[prog] = hit
        return hit

    def _piece(self, piece: str) -> str:
        """One space-separated piece of a line, as the outer pattern would replace it there."""
        assert self._token_outer is not None
        m = self._token_outer.match(piece)
        simple = piece.isascii() and piece.isprintable()  # so no whitespace inside
        if m is None and simple:
            return piece  # the outer pattern matches a piece at its start or not at all
        if not simple or m is None or m.lastgroup == "CRED":
            return self._token_outer.sub(self._replace_token, piece)
        # A candidate token (TOKEN or KNOWNTOKEN), which is always the whole piece.
        return self._replace_token(m)

    def _replace_token(self, m: Match[str]) -> str:
        if m.lastgroup == "CRED":
            return self._h.cred(m)
        token = m.group(0)
        if m.lastgroup == "KNOWNTOKEN" and not self._known_token(token):
            return token
        if self._atoms_ok and self._atoms_safe(token):
            return "".join(map(self._atoms.__getitem__, ATOM_SPLIT.split(token)))
        return self._scan_token(token)

    def _scan_token(self, token: str) -> str:
        """The scanner over one token; names written with encoded dots, hyphens or `@`
        (`%2E`, `&#46;`, `=2E`, `\\u002e`) decoded, replaced, and encoded back the same way."""
        if not _has_encoding(token):
            return self.scan(token, self.scanner_for(token))
        out: list[str] = []
        pos = 0
        for m in _ENC_RUN.finditer(token):
            out.append(self._scan_plain(token[pos : m.start()]))
            out.append(self._encoded_run(m.group(0)))
            pos = m.end()
        out.append(self._scan_plain(token[pos:]))
        return "".join(out)

    def _scan_plain(self, text: str) -> str:
        return self.scan(text, self.scanner_for(text)) if text else text

    def _encoded_run(self, run: str) -> str:
        pieces = _ENC_PIECE.findall(run)
        decoded = "".join(_ENC_CHARS.get(p.lower(), p) for p in pieces)
        out = self._scan_plain(decoded)
        if out == decoded:
            return run
        if len(out) != len(decoded) or len(decoded) != len(pieces):
            # (An address changes length: `172\.22\.1\.15` -> `172\.31\.208\.7`.) Each of
            # `.-@` written in one encoding only, and never plain, is written that way again.
            spellings: dict[str, set[str]] = {}
            for piece, char in zip(pieces, decoded):
                if char in ".-@":
                    spellings.setdefault(char, set()).add(piece)
            back = {c: next(iter(ps)) for c, ps in spellings.items() if len(ps) == 1}
            return "".join(back.get(c, c) for c in out)
        return "".join(p if len(p) > 1 and o == d else o for p, d, o in zip(pieces, decoded, out))

    @staticmethod
    def _atoms_safe(token: str) -> bool:
        """Whether the scanner finds in `token` exactly what it finds in its atoms one by one.

        No scanner pattern matches across `=<>[](),;"'` or looks at them, except a credential
        (`password=x[1]`), `sasl_username=x` and an IPv6 network written `[addr]/len`. ASCII
        only, so that lower-casing finds every case-insensitive credential keyword.
        """
        if not token.isascii() or "]/" in token or "sasl_username=" in token:
            return False
        low = token.lower()
        if (
            "dc=" in low
            or ("+" in low and "=" in low and "@" in low)
            or _has_encoding(low)
            or RDNS_HINT.search(low)
        ):
            return False  # an LDAP DN, a VERP address, a name embedding an address, encodings
        return not any(word in low for word in SECRET_WORDS)

    def _atom(self, atom: str) -> str:
        return self.scan(atom) if atom else atom

    def replace_outer(self, m: Match[str]) -> str:
        """The replacement of one outer match (a line field, a credential, or a whole token)."""
        group = m.lastgroup
        if group == "TOKEN" and self.mode != "off":  # the common case first: one test
            token = m.group(0)
            hit = self._tokens.get(token)
            if hit is not None:
                return hit
        elif group == "SYSLOG":  # once per log line: inlined _h_syslog
            return m.group("sl_pre") + self.host(m.group("sl_host"))
        if group == "CFLINE":
            return self._h.cfline(m)
        if group == "CRED":
            return self._h.cred(m)
        if self.mode == "off":
            return m.group(0)
        token = m.group(0)
        hit = self._tokens.get(token)
        if hit is None and group == "KNOWNTOKEN" and not self._known_token(token):
            return token
        if hit is None:
            hit = self._scan_token(token)
            if len(self._tokens) < 200_000:
                self._tokens[token] = hit
        return hit

    def _known_token(self, token: str) -> bool:
        """Whether the outer pattern's KNOWNTOKEN takes this token (see bare.py)."""
        return self._bare is not None and self._bare.in_token(token)

    def scan(self, text: str, pattern: Pattern[str] | None = None) -> str:
        """`text` with every scanner match replaced: the matches of `pattern` (the scanner,
        by default) and the learned bare words, merged as if the words were the scanner's
        KNOWN alternative (after BEFORE_KNOWN's, before the rest) and KNOWNDOT (last)."""
        if pattern is None:
            pattern = self.scanner()
        bare = self._bare
        if bare is None:
            return pattern.sub(self.replace_match, text)
        out: list[str] = []
        last = 0
        for start, end, m in merged(pattern, bare, text):
            out.append(text[last:start])
            out.append(self._known(text[start:end]) if m is None else self.replace_match(m))
            last = end
        out.append(text[last:])
        return "".join(out)

    def _known(self, word: str) -> str:
        key = ("KNOWN", word)
        hit = self._occ.get(key)
        if hit is None:
            hit = self._h.known_text(word)
            self._occ[key] = hit
        return hit

    def replace_match(self, m: Match[str]) -> str:
        group = m.lastgroup or ""
        whole = m.group(0)
        if group in ("SYSLOG", "CFLINE", "CRED", "SASLUSER"):
            return self._handlers[group](m)
        # (A name embedding an address maps by the bracketed address after it: part of the key.)
        cache_key = (group, whole + "[" + (m.group("rd_ip") or "") if group == "RDNS" else whole)
        hit = self._occ.get(cache_key)
        if hit is None:
            hit = self._handlers[group](m)
            self._occ[cache_key] = hit
        return hit

    def dn(self, text: str) -> str:
        """An LDAP DN: its dc= labels are the domain, its other values names (see handlers)."""
        return self._h.dn(text)

    def _looks_like_domain(self, plain: str) -> bool:
        labels = plain.split(".")
        tld = labels[-1]
        if keeplist.looks_like_file_name(labels):
            return False  # main.cf, libsasl2.so, libdb-5.3.so, master.pid
        if tld in keeplist.INTERNAL_TLDS:
            return True
        return _tld_is_public(tld)

    def _address(self, addr: Any, text: str, plen: str | None) -> str | None:
        bits = 32 if addr.version == 4 else 128
        if plen is not None and int(plen) > bits:
            return None
        if self._ip.is_kept(addr) or self.kept_by_user(text):
            return text + ("/" + plen if plen is not None else "")
        if self.mode == "strict":
            out = strict_shape(text)
        elif plen is not None and int(addr) & ((1 << (bits - int(plen))) - 1) == 0:
            out = str(self._ip.network(ipaddress.ip_network(f"{addr}/{plen}")).network_address)
        else:
            anon = self._ip.address(addr)
            mapped = getattr(anon, "ipv4_mapped", None)
            out = f"::ffff:{mapped}" if mapped is not None else str(anon)
        if out.lower() != text.lower():
            # A class block's own network (10.0.0.0/8, fe80::/64) maps to itself: nothing is
            # hidden, and recording it would make the leak check refuse harmless output.
            self.replaced[("ip", text.lower())] = out
            if addr.version == 6:
                self.replaced[("ip", str(addr))] = out
        return out + ("/" + plen if plen is not None else "")

    def _phone(self, m: Match[str]) -> str:
        """A telephone number in international form (`+44 20 7946 0958`, a signature in a
        pasted message): its digits replaced, keyed, the `+` and the separators kept."""
        text = m.group(0)
        if not 8 <= sum(c.isdigit() for c in text) <= 15:
            return text
        out = strict_shape(text) if self.mode == "strict" else keyed_shape(self._k_text, text)
        self.replaced[("phone number", text)] = out
        return out

    def _malformed(self, text: str) -> str:
        """A likely typo of an address: not an address, but keep its shape and hide its digits."""
        out = strict_shape(text) if self.mode == "strict" else keyed_shape(self._k_text, text)
        self.replaced[("address-like value", text.lower())] = out
        return out

    def host(self, text: str) -> str:
        """A host name, dotted or a single label (syslog host field, user@host)."""
        hit = self._hosts.get(text)
        if hit is None:
            hit = self._host(text)
            self._hosts[text] = hit
        return hit

    def _host(self, text: str) -> str:
        if _fully_qualified(text):  # an address or a name, with the root's dot
            return self.host(text[:-1]) + "."
        plain = text.replace("\\.", ".")
        if "." in plain:
            try:
                ipaddress.ip_address(plain)
                return self._address(ipaddress.ip_address(plain), plain, None) or text
            except ValueError:
                return self.domain(text)
        lowered = plain.lower()
        if (
            keeplist.domain_is_kept(lowered)
            or (self.is_keyword(lowered) and lowered not in self.short_hosts)
            or self.kept_by_user(plain)
        ):
            return text
        parent = self.short_hosts.get(lowered, "")
        out = self._case(text, self._label(parent, lowered))
        # Learned: replaced everywhere, so checked everywhere. (Not a value its replacement
        # spells again, as strict mode writes `aaaa` AAAA: nothing is hidden, nothing leaks.)
        if lowered in self.short_hosts and out.lower() != lowered:
            self.replaced[("host name", lowered)] = out.lower()
        return out

    def domain(self, text: str) -> str:
        """A dotted name: labels replaced one by one, each keyed on its parent; suffix kept."""
        if _fully_qualified(text):  # `mx1.example.de.`
            return self.domain(text[:-1]) + "."
        code = _REPLY_CODE.match(text)
        if code:  # verbose smtpd's `> client: 250-mail.example.com`: the reply code stays
            return code.group(0) + self.domain(text[code.end() :])
        parts = _SPLIT_DOTS.split(text)
        labels, seps = parts[0::2], parts[1::2]
        lowered = [lab.lower() for lab in labels]
        name = ".".join(lowered)
        if self.kept_by_user(name) or _REDACTED.fullmatch(name):
            return text
        if keeplist.domain_is_kept(name):
            # Kept (documentation, public services), but a label that is a learned word of the
            # site (`mx1.example.com` where mx1 is this host) is the site's: replaced as that word.
            if not any(lab in self.short_hosts or lab in self.users for lab in lowered):
                return text
            out = [
                self.host(lab) if low in self.short_hosts else self.user(lab) if low in self.users else lab
                for lab, low in zip(labels, lowered)
            ]
            return "".join(lab + (seps[i] if i < len(seps) else "") for i, lab in enumerate(out))
        suffix = public_suffix_of(lowered)
        keep_n = suffix.count(".") + 1
        # A tail the user keeps (--keep) is kept like a public suffix: `mail.` under it changes.
        keep_n = max(
            [keep_n]
            + [
                len(labels) - i
                for i in range(1, len(labels) - keep_n)
                if self.kept_by_user(".".join(lowered[i:]))
            ]
        )
        if keep_n >= len(labels):
            return text
        out = list(labels)
        for i in range(len(labels) - keep_n):
            parent = ".".join(lowered[i + 1 :])
            out[i] = self._case(labels[i], self._label(parent, lowered[i]))
        result = "".join(lab + (seps[i] if i < len(seps) else "") for i, lab in enumerate(out))
        plain_out = result.replace("\\.", ".").lower()
        out_labels = plain_out.split(".")
        for i in range(len(labels) - keep_n):
            if out_labels[i:] != lowered[i:]:  # (a name spelt again is not hidden, see _host)
                self.replaced[("domain name", ".".join(lowered[i:]))] = ".".join(out_labels[i:])
        return result

    def _label(self, parent: str, label: str) -> str:
        if label.startswith("xn--") and len(label) > 4:
            # An internationalized name's ACE prefix stays (helpers see it is one): the rest
            # is replaced as a label.
            return "xn--" + self._label(parent, label[4:])
        labels = self.state.labels
        hit = labels.get((parent, label))
        if hit is not None:
            return hit
        whole = self._first_words.get(label)
        if whole is not None and self.mode != "strict" and self.short_hosts.get(whole) == parent:
            # The first word of the site's hyphenated name: as that name's first word is.
            cand = self._label(parent, whole).split("-", 1)[0]
            if (
                cand != label
                and len(cand) == len(label)
                and labels.free_for((parent, label), cand, label)
                and cand not in self.short_hosts
                and cand not in self.users
            ):
                labels.record((parent, label), cand, label)
                return cand
        for counter in range(64):
            if self.mode == "strict":
                cand = strict_shape(label)
                break
            cand = keyed_shape(self._k_label, label, parent, counter)
            # Never another label's replacement, and never a value we hide elsewhere: a label
            # that became `vm` while `vm` is the site's host name would read as a leak.
            if (
                cand != label
                and labels.free_for((parent, label), cand, label)
                and cand not in self.short_hosts
                and cand not in self.users
                and (not parent or f"{cand}.{parent}" not in self.learned_domains)
            ):
                break
        labels.record((parent, label), cand, label)
        return cand

    def local_part(self, local: str) -> str:
        if local.lower() in keeplist.KEEP_LOCAL_PARTS or _POSTFIX_MESSAGE_ID.fullmatch(local):
            return local
        out = self.user(local)
        if out.lower() != local.lower() and len(local) >= 3:
            self.replaced[("local part", local.lower() + "@")] = out.lower() + "@"
        return out

    def user(self, text: str) -> str:
        """A user name or a local part; `+extension` parts are replaced separately.

        Postfix's expansions in it (`$user`, `${recipient}`, a regexp's `$1`, a table's `%u`) are kept and the
        rest replaced (`$1h.bauer`); a regexp's escapes (`h\\.bauer`) are replaced as what they
        stand for (h.bauer), and stay escapes.
        """
        if self.kept_by_user(text) or ("%" in text and _TABLE_EXPANSIONS.fullmatch(text)):
            return text
        if "$" in text:
            pieces = _EXPANSION.split(text)
            return "".join(
                self._expansion(p) if i % 2 else p if not p or "$" in p else self.user(p)
                for i, p in enumerate(pieces)
            )
        if "{" in text:
            return text
        if "\\" in text:
            plain = _REGEXP_ESCAPE.sub(r"\1", text)
            if plain == text:  # no regexp escape: Windows' `DOMAIN\user`, each part a name
                return "\\".join(self.user(p) if p else p for p in text.split("\\"))
            return _escaped_like(text, self.user(plain))
        pieces = text.split("+")
        return "+".join(self._user_piece(p) if p else p for p in pieces)

    def _expansion(self, text: str) -> str:
        """`$name` kept, unless the name is a learned user's or host's (`$alice@`: no parameter)."""
        name = text.strip("${}")
        if name.lower() not in self.users and name.lower() not in self.short_hosts:
            return text
        return text.replace(name, self.user(name), 1)

    def _user_piece(self, piece: str) -> str:
        lowered = piece.lower()
        if lowered in keeplist.KEEP_LOCAL_PARTS:
            return piece
        users = self.state.users
        hit = users.get(lowered)
        if hit is None:
            for counter in range(64):
                if self.mode == "strict":
                    hit = strict_shape(lowered)
                    break
                hit = keyed_shape(self._k_user, lowered, "", counter)
                if (
                    hit != lowered
                    and users.free_for(lowered, hit, lowered)
                    and hit not in self.short_hosts
                    and hit not in self.users
                ):
                    break
            assert hit is not None
            users.record(lowered, hit, lowered)
            if lowered in self.users and hit.lower() != lowered:
                self.replaced[("user name", lowered)] = hit
        return self._case(piece, hit)

    def _case(self, template: str, replacement: str) -> str:
        return replacement if self.mode == "strict" else recase(template, replacement)

    def mapping(self) -> list[tuple[str, str, str]]:
        """(kind, original, replacement), sorted: what --anon-map writes."""
        return sorted((kind, orig, repl) for (kind, orig), repl in self.replaced.items())
