"""What is never replaced: Postfix keywords, standard names, documentation values, public services."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from re import Pattern

DATA = Path(__file__).resolve().parent / "data"

# Not site data: standard names, documentation names (RFC 2606/6761) and public services.
KEEP_DOMAINS: tuple[str, ...] = (
    "localhost",
    "localhost.localdomain",
    "example",
    "example.com",
    "example.net",
    "example.org",
    "test",
    "invalid",
    "home.arpa",
    "in-addr.arpa",
    "ip6.arpa",
    "arpa",
    "postfix.org",
    "porcupine.org",
    "debian.org",
    "ubuntu.com",
    "redhat.com",
    "fedoraproject.org",
    "centos.org",
    "freebsd.org",
    "openbsd.org",
    "netbsd.org",
    "apple.com",
    "gentoo.org",
    "archlinux.org",
    "opensuse.org",
    "suse.com",
    "alpinelinux.org",
    "launchpad.net",
    "spamhaus.org",
    "spamcop.net",
    "barracudacentral.org",
    "sorbs.net",
    "surriel.com",
    "mailspike.net",
    "dnswl.org",
    "uceprotect.net",
    "manitu.net",
    "junkemailfilter.com",
    "surbl.org",
    "uribl.com",
    "abuseat.org",
    "senderscore.com",
    "spameatingmonkey.net",
    "mailpolice.com",
    "nordspam.com",
    "s5h.net",
    "0spam.org",
    "blocklist.de",
    "gbudb.net",
    "gmail.com",
    "googlemail.com",
    "google.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "microsoft.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "t-online.de",
    "protonmail.com",
    "proton.me",
    "letsencrypt.org",
    "dovecot.org",
    "openssl.org",
    "ietf.org",
    "rfc-editor.org",
    "iana.org",
    "spf.org",
    "dmarc.org",
)
# Addresses at these are made up by definition: keep the whole address, local part included.
DOC_DOMAINS: tuple[str, ...] = (
    "example",
    "example.com",
    "example.net",
    "example.org",
    "test",
    "invalid",
    "localhost",
)

KEEP_LOCAL_PARTS: frozenset[str] = frozenset(
    {
        "postmaster",
        "root",
        "mailer-daemon",
        "double-bounce",
        "abuse",
        "hostmaster",
        "webmaster",
        "nobody",
        "postfix",
        "noreply",
        "no-reply",
        "security",
        "noc",
        "mail",
        "daemon",
    }
)

# A dotted word ending in one of these is a file name, not a domain (`main.cf`, `libsasl2.so`),
# unless the site's configuration says it is a host name.
FILE_EXTENSIONS: frozenset[str] = frozenset(
    """
cf so sh py pl pm md in am ac mk la cc ps rb rs ts js lo pid zip mov gz xz bz2 h c o a d
db lmdb cdb conf cnf ini cfg yml yaml json xml html htm txt log sock service socket timer
pem crt key csr der p12 pfx map pcre regexp cidr proto out bak orig old new swp tmp save lock dist
rpmnew rpmsave dpkg-dist dpkg-old ucf-dist
""".split()
)

# Placeholders our own normalizers write (logs' problem kinds, queue delay reasons): not data.
PLACEHOLDERS: frozenset[str] = frozenset({"USER@DOMAIN", "DOMAIN", "USER", "ADDRESS", "QUEUEID"})
# A company's legal form after its name (`o=Orchard Trading Ltd`): a word of every company.
ORG_FORMS: frozenset[str] = frozenset(
    "ltd limited inc llc llp gmbh ag kg ohg ug plc corp co sa sas sarl srl spa bv nv oy ab as pty".split()
)


# Postfix's own file names: kept even where a learned word is their stem (a host named `main`),
# also with a suffix after them (`main.cf.proto`, `main.cf.bak`, `main.cf.dpkg-dist`).
POSTFIX_FILE_NAMES: frozenset[str] = frozenset(
    {
        "main.cf",
        "master.cf",
        "dynamicmaps.cf",
        "postfix-files",
        "makedefs.out",
    }
)


def is_postfix_file_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in POSTFIX_FILE_NAMES or any(lowered.startswith(f + ".") for f in POSTFIX_FILE_NAMES)


def looks_like_file_name(labels: Sequence[str]) -> bool:
    """`libdb-5.3.so`, `3.so`, `main.cf`: a dotted word that names a file, not a host."""
    if labels[-1] not in FILE_EXTENSIONS:
        return False
    return len(labels) == 2 or labels[0].startswith("lib") or any(label.isdigit() for label in labels[:-1])


# Top-level names sites use internally; not in the public suffix list, still domains.
INTERNAL_TLDS: frozenset[str] = frozenset(
    {
        "local",
        "localdomain",
        "lan",
        "internal",
        "intranet",
        "corp",
        "home",
        "private",
        "priv",
        "domain",
        "intern",
        "office",
        "mail",
        "site",
    }
)


def _read_words(name: str) -> frozenset[str]:
    words = set()
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(line.lower())
    return frozenset(words)


@lru_cache(maxsize=1)
def parameter_names() -> frozenset[str]:
    """Every main.cf parameter name `postconf -d` of Postfix 3.7 knows."""
    return _read_words("postconf-names.txt")


@lru_cache(maxsize=1)
def keywords() -> frozenset[str]:
    """Words that must never be replaced as bare words (lower case)."""
    return parameter_names() | _read_words("keywords.txt") | KEEP_LOCAL_PARTS


@lru_cache(maxsize=1)
def report_words() -> frozenset[str]:
    """The report's own wording (see reportwords.py): never learned as a bare name."""
    return _read_words("report-words.txt")


_KEEP_SET = frozenset(KEEP_DOMAINS)
_DOC_SET = frozenset(DOC_DOMAINS)


def _under(name: str, domains: frozenset[str]) -> bool:
    labels = name.lower().rstrip(".").split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels)))


@lru_cache(maxsize=65536)
def domain_is_kept(name: str) -> bool:
    """localhost, documentation names, public services (DNSBLs, big mailbox providers)."""
    return _under(name, _KEEP_SET)


@lru_cache(maxsize=65536)
def domain_is_documentation(name: str) -> bool:
    return _under(name, _DOC_SET)


def compile_user_patterns(patterns: Sequence[str]) -> tuple[Pattern[str], ...]:
    """`--keep PATTERN`s: a value that fully matches one is never replaced (case-insensitive)."""
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def blank_kept(text: str, patterns: Sequence[Pattern[str]]) -> str:
    """The text with what the --keep patterns match blanked (same length: offsets stay right)."""
    for pattern in patterns:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text
