"""Learning the site's own values from structure we understand, before anything is replaced."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote

from postfinger_py.anonymize import keeplist, partnet
from postfinger_py.anonymize.engine import Engine, fold_lower, line_starts_holding
from postfinger_py.anonymize.patterns import (
    CFLINE_WORD_KEYS,
    CRED_VALUE,
    SECRET_KEYS,
    SECRET_WORDS,
    TIMESTAMP,
    pipe_user,
)

# main.cf parameters whose values name hosts, domains or networks of the site.
HOST_PARAMS = frozenset(
    """
myhostname mydomain myorigin mydestination relay_domains virtual_alias_domains
virtual_mailbox_domains relayhost fallback_relay smtp_fallback_relay smtp_helo_name lmtp_helo_name
masquerade_domains proxy_interfaces smtp_bind_address smtp_bind_address6 debug_peer_list
permit_mx_backup_networks smtpd_authorized_xforward_hosts smtpd_authorized_xclient_hosts
default_transport relay_transport local_transport content_filter mynetworks inet_interfaces
lmtp_fallback_relay smtp_sasl_tls_security_options append_dot_mydomain
""".split()
)
OWN_HOST_PARAMS = frozenset({"myhostname", "smtp_helo_name", "lmtp_helo_name"})
# Parameters that name the domains the site receives mail for (and myhostname, whose parent is
# mydomain's default): the local part of an address at one of them is one of the site's users.
OWN_DOMAIN_PARAMS = frozenset(
    {
        "myhostname",
        "mydomain",
        "myorigin",
        "mydestination",
        "virtual_alias_domains",
        "virtual_mailbox_domains",
        "relay_domains",
        "masquerade_domains",
    }
)
# Only these may name a bare single-label host; elsewhere single words are keywords
# (inet_interfaces = loopback-only, default_transport = error, ...).
SINGLE_LABEL_PARAMS = frozenset(
    {
        "myhostname",
        "mydomain",
        "relayhost",
        "smtp_helo_name",
        "lmtp_helo_name",
        "fallback_relay",
        "smtp_fallback_relay",
        # domain lists: a single label there is a bare host name
        "mydestination",
        "relay_domains",
        "virtual_alias_domains",
        "virtual_mailbox_domains",
        "masquerade_domains",
        "debug_peer_list",
    }
)
SQL_TYPES = ("mysql", "pgsql", "ldap", "sqlite", "memcache", "proxy:mysql", "proxy:pgsql", "proxy:ldap")
MAP_REF = re.compile(r"(?P<type>[a-z0-9]+):(?P<path>/[^\s,]+)")
# Names of raw files that are lookup table sources (only raw files, never data paths).
MAP_HINTS = (
    "/virtual",
    "/alias",
    "/canonical",
    "sasl_passwd",
    "/relocated",
    "/transport",
    "_access",
    "/access",
    "/generic",
    "_maps",
    ".map",
    "mysql",
    "pgsql",
    "ldap",
    "sqlite",
    "/senders",
    "/recipients",
    "/sender_",
    "/recipient_",
    "/etc/postfix/",
)

# Searched in "\n" + text: a pattern that starts with a literal newline is found by a fast
# character search, where `^` in MULTILINE mode is tested at every position (same matches).
_SYSLOG_HOST = re.compile(rf"\n{TIMESTAMP} ([^\s\[\]:]+) \S")
_CFLINE = re.compile(
    rf"\n[ \t]*((?:{CFLINE_WORD_KEYS})(?=[ \t]*=[ \t]*[^\s]+[ \t\r]*(?:\n|\Z))|password|passwd"
    r"|bind_pw|hosts|server_host|bind_dn|search_base|sasl_authz_id)[ \t]*=[ \t]*([^\n]*?)[ \t]*(?=\n|\Z)"
)
_CRED = re.compile(rf"(?<![\w-])(?i:{SECRET_KEYS})[ \t]*[=:][ \t]*({CRED_VALUE})")
# The literal first and the "no word before" test after it (same matches): Python's re then
# finds candidates with a fast literal search instead of testing a lookbehind at every position
# (0.003 s instead of 0.09 s on 3 MB of log, here).
_SASLUSER = re.compile(r"sasl_username=(?<![\w-]sasl_username=)([^\s,]+)")
# (The password is the rest of the line, spaces and all, as Postfix's table lookup returns it.)
_SASL_LINE = re.compile(r"^[ \t]*(\S+)[ \t]+([^:\s]+):(\S(?:[^\n]*\S)?)[ \t]*$", re.MULTILINE)
_LABEL_MAIL = re.compile(r"[\w.%+-]@([^\W_][\w-]*)(?![\w.-])")
# The same two patterns in a form Python's re scans fast (a literal first, no IGNORECASE):
# on megabytes of log they cost 0.005 s and 0.09 s instead of 0.23 s and 0.32 s (3 MB, here).
_AT_LABEL = re.compile(r"@([^\W_][\w-]*)(?![\w.-])")
_CRED_LOWER = re.compile(rf"(?<![\w-])(?:{SECRET_KEYS.lower()})[ \t]*[=:][ \t]*({CRED_VALUE})")
_MAIL_LOCAL_CHARS = ".%+-_"


def _mail_labels(text: str) -> set[str]:
    """`host` of every `user@host` whose host is a single label (what _LABEL_MAIL finds)."""
    return _after_local_part(_AT_LABEL, text, _MAIL_LOCAL_CHARS)


# The domain of every address (`user@dom.tld`), and the same from its literal `@` (a fast
# literal search: 44 ms on 2 MB of log with the lookbehind first, here).
_ADDRESS_DOMAIN = re.compile(r"(?<=[\w.+-]@)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_AT_DOMAIN = re.compile(r"@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def address_domains(text: str) -> set[str]:
    """What _ADDRESS_DOMAIN finds in `text`, as a set."""
    return _after_local_part(_AT_DOMAIN, text, ".+-_")


def _after_local_part(at_pattern: re.Pattern[str], text: str, chars: str) -> set[str]:
    """Group 1 of each match of `at_pattern` (which starts at an `@`) after a letter, a digit
    or one of `chars` (the lookbehind its slow twin starts with, tested after)."""
    out = set()
    for m in at_pattern.finditer(text):
        start = m.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in chars):
            out.add(m.group(1))
    return out


def _credentials(text: str) -> list[str]:
    """The values after password=, secret: ... (what _CRED finds), case kept."""
    low = text.lower()
    if not any(word in low for word in SECRET_WORDS):  # substring tests are memchr-fast
        return []
    if len(low) != len(text):  # a few non-ASCII letters change length when lowered
        return _CRED.findall(text)
    return [text[m.start(1) : m.end(1)] for m in _CRED_LOWER.finditer(low)]


# A secret under any key that ends in a secret word (`dnpass`, `db_password`, `DB_PASS`,
# `MYSQL_ROOT_PASSWORD:`, JSON's `"password": "..."`, perl's `$password = '...'`), and
# fetchmailrc's `password "..."`: the value, quoted or one word. (_CRED takes the plain keys.)
_WIDE_CRED = re.compile(
    r"(?<![\w$@/.-])[$@]?[\w-]*(?:pass(?:word|wd|phrase)?|pwd|_pw|secret|token|api_?key)"
    r"(?:[\"']?[ \t]*[=:][ \t]*|(?<=pass)[ \t]+(?=[\"'])|(?<=password)[ \t]+(?=[\"']))"
    rf"(?:\"([^\"\n]{{4,}})\"|'([^'\n]{{4,}})'|({CRED_VALUE}))",
    re.IGNORECASE,
)
# A value that is no secret: a variable or expansion, a file, a map, a URL, a setting.
_NOT_SECRET = re.compile(r"[$%/<{(]|[a-z]+:|(?i:yes|no|true|false|none|null|required|optional)$")
_WIDE_WORDS = ("pass", "pwd", "_pw", "secret", "token", "apikey", "api_key")


def _wide_credentials(text: str) -> list[str]:
    """What _WIDE_CRED finds on the lines that hold a secret word (found by substring search)."""
    out = []
    for start in sorted(line_starts_holding(fold_lower(text), _WIDE_WORDS)):
        end = text.find("\n", start)
        for m in _WIDE_CRED.finditer(text, start, len(text) if end < 0 else end):
            quoted = m.group(1) or m.group(2)
            value = quoted or m.group(3)
            if not value or _NOT_SECRET.match(value) or (not quoted and len(value) < 6):
                continue
            out.append(value)
    return out


_PARAM_LINE = re.compile(r"^([a-z0-9_]+)[ \t]*=[ \t]*(.*)$", re.MULTILINE)


def host_tokens(value: str) -> Iterator[str]:
    """Host names in a value such as `[smtp.example.net]:587`, `inet:db:3306`, `ldap://h/`."""
    for tok in re.split(r"[\s,]+", value):
        if not tok or tok.startswith("$") or tok.startswith("/") or "/" in tok.split(":")[-1]:
            continue
        tok = re.sub(r"^[a-z]+://", "", tok)
        tok = re.sub(r"^(?:[a-z][\w-]*:)+(?=[\w\[])", "", tok)  # smtp:, inet:, relay:
        tok = re.sub(r"^\[([^\]]*)\]", r"\1", tok)
        tok = re.sub(r":\d+$", "", tok).strip("[]/")
        if tok:
            yield tok


def learn_parameter(engine: Engine, name: str, value: str) -> None:
    base = name.rsplit("/", 1)[-1]  # `svc/type/name` of postconf -P
    engine.learn_defined_name(base)
    if base == "smtpd_restriction_classes":
        for restriction_class in re.split(r"[\s,]+", value):
            if restriction_class:
                engine.learn_defined_name(restriction_class)
    if base in HOST_PARAMS:
        for tok in host_tokens(value):
            if "." in tok or ":" in tok or base in SINGLE_LABEL_PARAMS:
                engine.learn_host(tok, is_own_host=base in OWN_HOST_PARAMS)
            if base in OWN_DOMAIN_PARAMS:
                _learn_own_domain(engine, tok, base == "myhostname")
    if "static:" in value or "inline:" in value:
        learn_inline_maps(engine, value, is_password_map="passw" in base)
    if "inet:" in value:
        # `smtpd_milters = inet:opendkim-acme:8891`, `check_policy_service inet:policy01:10023`:
        # the host of a TCP endpoint, in any parameter (mail software names are keywords).
        for host in _INET_HOST.findall(value):
            if "." in host:
                engine.learn_host(host)
            else:
                engine.learn_short_host(host)


_INET_HOST = re.compile(r"(?<![\w-])inet:\[?([A-Za-z0-9][\w.-]*?)\]?:\w+")


# `static:user:password` and `static:{user:password}`; `inline:{ k=v, { k2 = v2 } }`.
_STATIC = re.compile(r"static:(?:\{([^}]*)\}|([^\s,{}]+))")
_INLINE = re.compile(r"inline:\{((?:[^{}]|\{[^{}]*\})*)\}")
_INLINE_ENTRY = re.compile(r"\{([^{}]*)\}|([^{},]+)")


def learn_inline_maps(engine: Engine, value: str, is_password_map: bool) -> None:
    """The tables written into a parameter value: in a password map (smtp_sasl_password_maps)
    the right-hand sides are `user:password` (the password masked, the user learned), in any
    other map both sides are learned like a lookup table's."""
    for m in _STATIC.finditer(value):
        result = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
        if is_password_map:
            _learn_user_password(engine, result)
    for m in _INLINE.finditer(value):
        for entry in _INLINE_ENTRY.finditer(m.group(1)):
            text = (entry.group(1) if entry.group(1) is not None else entry.group(2)).strip()
            key, sep, result = text.partition("=")
            if not sep:
                continue
            key, result = key.strip(), result.strip()
            if is_password_map:
                for tok in host_tokens(key):
                    engine.learn_host(tok)
                _learn_user_password(engine, result)
            else:
                learn_map_text(engine, f"{key} {result}")


def _learn_user_password(engine: Engine, result: str) -> None:
    """`user:password` (a password map's result): the password to mask, the user to hide."""
    user, sep, password = result.partition(":")
    if not sep or "$" in user:
        return
    _learn_login(engine, user)
    engine.learn_secret(password)


def _learn_own_domain(engine: Engine, name: str, is_host: bool) -> None:
    """A domain the site receives mail for (a host's parent too: mydomain's default)."""
    low = name.strip("[].").lower()
    if is_host:
        low = low.partition(".")[2]
    if "." in low and _DOTTED.fullmatch(low) and not keeplist.domain_is_kept(low):
        engine.own_domains.add(low)


_DOTTED = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


def _own_mailboxes(engine: Engine, text: str) -> set[str]:
    """The local parts of the addresses in `text` at one of the site's own domains."""
    out = set()
    for m in _AT_DOMAIN.finditer(text):
        if m.group(1).lower() in engine.own_domains:
            start = i = m.start()
            while i > 0 and (text[i - 1].isalnum() or text[i - 1] in _MAIL_LOCAL_CHARS):
                i -= 1
            if i < start:
                out.add(text[i:start])
    return out


_AT_DOMAIN = re.compile(r"@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


# A pasted aliases(5) file (`cat /etc/aliases`): every one has `postmaster:` or `root:` lines.
_ALIASES_FILE = re.compile(r"(?m)^(?:postmaster|root|MAILER-DAEMON)[ \t]*:[ \t]*\S")
_ALIAS_NAMES = ("postmaster", "root", "MAILER-DAEMON")


def _has_alias_line(text: str) -> bool:
    """Whether a line starts with a name _ALIASES_FILE looks for (substring tests: fast)."""
    return text.startswith(_ALIAS_NAMES) or any("\n" + name in text for name in _ALIAS_NAMES)


# One alias: `name: target, target`; a target an address, a local name, a "|command", a /file
# or :include:/file (a continuation line starts with white space and is left out).
_ALIAS_TARGET = r'(?:"[^"\n]*"|:include:\S+|[|/][^\s,]*|[\w.+-]+(?:@[\w.-]+)?)'
_ALIAS_LINE = re.compile(
    rf"(?m)^([A-Za-z0-9][\w.+-]*)[ \t]*:[ \t]*({_ALIAS_TARGET}(?:[ \t]*,[ \t]*{_ALIAS_TARGET})*)"
    r"[ \t]*,?[ \t]*$"
)


def _learn_aliases(engine: Engine, text: str) -> None:
    """The local names of a pasted aliases file: an alias (`hbauer: hans@gmail.com`) and a
    local user it delivers to (`root: hbauer`) are the site's users; role names are kept."""
    for m in _ALIAS_LINE.finditer(text):
        if m.group(1)[0].isupper() and not m.group(1).isupper():
            continue  # a mail header pasted beside it (`Subject: hello`), no alias
        names = [m.group(1)]
        names += [t.strip() for t in m.group(2).split(",") if re.fullmatch(r"[ \t]*[\w.+-]+[ \t]*", t)]
        for name in names:
            _learn_mailbox_owner(engine, name + "@")


def _learn_account(engine: Engine, user: str) -> None:
    """An account as a log or a table names it: `alice`, `alice@example.com` (a mailbox of the
    site's), or Windows' `EXAMPLE\\alice` (the NetBIOS domain a name of the site's own too)."""
    domain, backslash, account = user.rpartition("\\")
    if backslash:
        engine.learn_user(domain)
        engine.learn_user(account)
    elif "@" in user:
        _learn_mailbox_owner(engine, user)
    else:
        engine.learn_user(user)


def _learn_login(engine: Engine, user: str) -> None:
    """A login name: `user`, or `user@domain` (whose domain is the site's too)."""
    _local, at, domain = user.rpartition("@")
    if at:
        engine.learn_host(domain)  # the address itself is found wherever it is
    else:
        engine.learn_user(user)


def learn_postconf_text(engine: Engine, text: str) -> None:
    """`postconf -n` / `-P` output: parameter values that name hosts and domains."""
    for m in _PARAM_LINE.finditer(text):
        learn_parameter(engine, m.group(1), m.group(2))


def learn_free_text(engine: Engine, text: str) -> None:
    """What any text tells by position: syslog host fields, table `key = value` lines, creds."""
    if " " in text and ":" in text:
        # Dotted names first, then in sorted order: a bare host name takes its parent domain
        # from the dotted names learned before it, so iterating a set (whose order changes
        # from run to run with Python's hash seed) gave the same input different outputs.
        for host in sorted(set(_SYSLOG_HOST.findall("\n" + text)), key=lambda h: ("." not in h, h)):
            if "." in host:
                engine.learn_host(host)
            else:
                engine.learn_short_host(host)
    if "@" in text:
        for label in _mail_labels(text):
            if label not in keeplist.PLACEHOLDERS:
                engine.learn_short_host(label)  # user@host: the bare host name elsewhere too
        if engine.own_domains:
            # A mailbox at one of the site's own domains (`from=<hbauer@example.com>`): its
            # user's name where it stands alone too (`/home/hbauer`), as a delivery's is.
            for local in sorted(_own_mailboxes(engine, text)):
                _learn_mailbox_owner(engine, local + "@")
    if ":" in text and _has_alias_line(text) and _ALIASES_FILE.search(text) is not None:
        _learn_aliases(engine, text)
    if "=" in text:
        for m in _CFLINE.finditer("\n" + text):
            key, value = m.group(1).lower(), m.group(2)
            if key == "user" and pipe_user(m.string, m.start(1), m.end()):
                continue
            if key in ("password", "passwd", "bind_pw"):
                engine.learn_secret(value)
            elif key in ("user", "username", "dbname"):
                engine.learn_user(value)
            elif key in ("hosts", "server_host"):
                for tok in host_tokens(value):
                    engine.learn_host(tok)
            elif key == "sasl_authz_id":
                # ldap_table(5)'s `u:account` (a DN's values are replaced as a DN's are)
                kind, colon, ident = value.partition(":")
                if colon and kind.lower() == "u":
                    _learn_login(engine, ident)
            elif key in ("bind_dn", "search_base") and "=" in value:
                _learn_dn(engine, value)
            elif key == "bind_dn" and "=" not in value:
                # Active Directory's other two forms of the account: `svc@example.com` (a UPN)
                # and `EXAMPLE\svc` (the NetBIOS domain, a name of the site's own)
                if "\\" in value:
                    _learn_account(engine, value)
                else:
                    _learn_login(engine, value)
        if "uid=" in text:
            for user in set(_FREE_DN_UID.findall(text)):
                engine.learn_user(user)
        if ",o=" in text or ", o=" in text:
            for org in set(_FREE_DN_ORG.findall(text)):
                _learn_organization(engine, org)
        for user in _SASLUSER.findall(text):
            _learn_account(engine, user)
        if "static:" in text or "inline:" in text:
            for m in _PASTED_PARAM.finditer(text):
                learn_parameter(engine, m.group(1), m.group(2))
    for secret in _credentials(text):
        engine.learn_secret(secret)
    for secret in _wide_credentials(text):  # (`db_password`, JSON's, fetchmailrc's `password "x"`)
        engine.learn_secret(secret)
    if ":" in text:
        for m in _PASTED_SASL.finditer("\n" + text):
            user, _, password = m.group("cred").partition(":")
            host = m.group("host")
            if (
                # (never after sasl_passwd's own `[relay]:587`: `relay:pw` is a user's there)
                (_TRANSPORT.fullmatch(user) and _NEXTHOP.fullmatch(password) and not _SASL_KEY.match(host))
                # (After `[relay]` or `relay:port`, only a password can hold spaces.)
                or (" " in password and not _APP_PASSWORD.fullmatch(password) and not _SASL_KEY.match(host))
                or _RELAY_PORT.fullmatch(m.group("cred"))
                # an OpenDKIM KeyTable line (`sel._domainkey.example.com example.com:sel:/key`)
                or "._domainkey." in host.lower()
                or _DKIM_KEY.fullmatch(m.group("cred"))
            ):
                # a transport(5) line (`example.com smtp:[relay]:25`), prose, or a next hop
                # (`@example.com [smtp.office365.com]:587` of sender_dependent_relayhost_maps)
                continue
            for tok in host_tokens(m.group("host")):
                engine.learn_host(tok)
            _learn_user_password(engine, m.group("cred"))
    if "AUTH" in text or "auth" in text or "334" in text:
        learn_auth_dialogue(engine, text)
    if engine.mode != "off":
        # A client's /24 written as its three octets beside its address (sqlgrey's class C).
        partnet.learn_short_nets(text, engine.short_nets)
    if "[" in text:
        # A bare client or relay name (`connect from mailgw[10.1.2.3]`, `relay=exch01[...]`):
        # from /etc/hosts or a local DNS zone, so the site's own; dotted ones are domains.
        for pattern in _CLIENT_LABELS:
            for label in set(pattern.findall(text)):
                _learn_bare_host(engine, label)
    if "helo=<" in text:
        for label in set(_HELO_LABEL.findall(text)):
            _learn_bare_host(engine, label)  # `helo=<WIN-PC7>`: a client's own name
    if "LO " in text or "lo " in text:
        for label in set(_VERBOSE_HELO.findall(text)):
            _learn_bare_host(engine, label)
    if "=<" in text:
        # A local sender or recipient without a domain (`pickup: uid=1001 from=<hbauer>`,
        # `orig_to=<hbauer>`): the user of that address, replaced as a user name everywhere.
        for m in _BARE_ENVELOPE.finditer(text):
            if _ENVELOPE_KEY.search(text, max(0, m.start() - 8), m.start()):
                engine.learn_user(m.group(1))
    if "$" in text or "}" in text:
        # Password hashes and scheme-tagged passwords of pasted user databases (Dovecot's
        # passwd-file `user:{SHA512-CRYPT}$6$...`, docker-mailserver's `user|{PLAIN}pw`):
        # masked like any secret (a hash can be cracked; `{PLAIN}` is the password itself).
        for pattern in _PASSWORD_HASHES:
            for secret in set(pattern.findall(text)):
                engine.learn_secret(secret)
    for literal, pattern in _CLI_SECRETS:
        if literal in text:
            for m in pattern.finditer(text):
                engine.learn_secret(m.group("pw"))
                if m.groupdict().get("user"):
                    _learn_login(engine, m.group("user"))
    # local(8) names the user by position: `cannot update mailbox /var/mail/hbauer for user
    # hbauer`, `unknown user: "hbauer"`, `/var/spool/mail/hbauer`, `/var/vmail/DOMAIN/hbauer`.
    for literal, pattern in _LOCAL_USERS:
        if literal in text:
            for user in set(pattern.findall(text)):
                if user.lower() not in engine.learned_domains:  # `/var/vmail/example.com`
                    engine.learn_user(user)
    if "header " in text or "\nFrom: " in text or "\nTo: " in text or "\nCc: " in text:
        # A person's name before an address in a logged header (`header From: "Hans Bauer"
        # <h.bauer@...>`): its words are replaced wherever they stand, like a user name.
        for _, name in sorted(_display_names(text)):
            _learn_name_words(engine, name.split())
    if "://" in text:
        # A URI's user and password (`postgresql://user:pw@db1/maildb`, `ldap://`, `redis://`,
        # `https://user:pw@`): the password masked, the user hidden.
        for m in _uri_userinfo(text):
            if m.group(2):
                engine.learn_secret(m.group(2))
            _learn_login(engine, unquote(m.group(1)))
    if '"@' in text:
        # A quoted local part (`"rob hendry"@example.com`): its words, as a display name's.
        for quoted in set(_QUOTED_LOCAL.findall(text)):
            _learn_name_words(engine, re.split(r"[\s.]+", quoted))
    if "(" in text or "user=" in text:
        # Dovecot's auth log names the user in its own forms: `pam(alice,203.0.113.7)`,
        # `passwd-file(alice,...)`, `imap(alice)`, `user=<alice>`; pam_unix in `ruser=alice`
        # and `user=alice` (an address there is replaced as one). Also in Dovecot's own log
        # file, whose lines do not say "dovecot".
        for literal, pattern in _DOVECOT_USERS:
            if literal in text:
                for user in set(pattern.findall(text)):
                    _learn_account(engine, user)
        if "user=" in text:
            for m in _PAM_USER.finditer(text):
                # (A match starts at the `r` of `ruser=` when there is one.) Also SpamAssassin's
                # `spamd: result: ... ,user=alice,uid=1001,`.
                if (
                    text[m.start() - 1 : m.start()] in (" ", "\t", ",")
                    and "@" not in m.group(1)
                    and not pipe_user(text, m.start(), m.end())
                ):
                    _learn_account(engine, m.group(1))
    if "postfix" in text and "to=<" in text:
        # What local(8), virtual(8), lmtp(8) and pipe(8) deliver to is a mailbox of this
        # server: its owner's name is replaced where it stands alone too (`procmail -a alice`,
        # `/home/alice/Maildir`), as for the Dovecot and SASL user names above.
        for m in _DELIVERED_TO.finditer(text):
            _learn_mailbox_owner(engine, m.group(1))


# In a DN of a log (slapd's `BIND dn="uid=hbauer,ou=People,o=Meridian Freight"`): an account
# before another RDN, an organization after one. (Each from a literal: fast on a log.)
_FREE_DN_UID = re.compile(r"(?<![\w-])uid=([^,=\s\"'<>;()]+),(?=[ ]?[A-Za-z]+=)")
_FREE_DN_ORG = re.compile(r"(?<=[^\W_]),[ ]?o=([^,=\"'<>;()\n]+)")


def _learn_dn(engine: Engine, dn: str) -> None:
    """An LDAP DN's organization (`o=Orchard Trading`) and account (`uid=hbauer`): the words
    of the site's name and a login, wherever they stand (a query_filter's `memberOf=` DN)."""
    for rdn in dn.split(","):
        key, eq, value = rdn.partition("=")
        key = key.strip().lower()
        if not eq or "%" in value:
            continue
        if key == "o":
            _learn_organization(engine, value)
        elif key == "uid":
            engine.learn_user(value.strip())


def _learn_organization(engine: Engine, name: str) -> None:
    """A company's name (`Meridian Freight Ltd`): its words but the legal form, as names."""
    _learn_name_words(engine, [w for w in name.split() if w.lower() not in keeplist.ORG_FORMS])


def _learn_name_words(engine: Engine, words: Iterable[str]) -> None:
    """The words of a person's name (a display name, a quoted local part), as user names."""
    for word in words:
        if len(word) >= 3 and word.isalpha() and word.lower() not in _ROLE_WORDS:
            engine.learn_user(word)


def _learn_mailbox_owner(engine: Engine, address: str) -> None:
    """The user of a mailbox of this server (`alice` of alice+tag@example.com), as a word."""
    local = address.rpartition("@")[0].split("+", 1)[0]
    if len(local) >= 3 and local.lower() not in _ROLE_WORDS and not local.lower().startswith("postmaster"):
        engine.learn_user(local)


def _learn_bare_host(engine: Engine, label: str) -> None:
    if len(label) >= 3 and label.lower() not in _PROTOCOL_WORDS:
        engine.learn_short_host(label)


# A single-label host name before `[address]` in Postfix's `name[address]` form (a PID is
# `[digits]:`, never an address) and in a HELO. Three letters at least; protocol words kept.
# (One pattern per literal start: Python's re then finds candidates by a fast literal search,
# where one alternation of the three cost 0.12 s on 10 MB of log, here.)
_CLIENT_LABELS = tuple(
    re.compile(
        rf"{start}([A-Za-z][\w-]*[A-Za-z0-9])\["
        r"(?=\d{1,3}\.\d|[0-9a-fA-F]{0,4}:[0-9a-fA-F:.]*\])"
    )
    for start in ("from ", "relay=", "to ")
)
_URI_USERINFO = re.compile(r"[A-Za-z][\w+.-]*://([^:/@\s\[\]]+)(?::([^@/\s]+))?@[\w\[]")
# The same from its literal `://` (a fast literal search: 40 ms on 2 MB of log from the
# scheme's letter, here); the scheme is tested after.
_URI_AT = re.compile(r"://([^:/@\s\[\]]+)(?::([^@/\s]+))?@[\w\[]")


def _uri_userinfo(text: str) -> Iterator[re.Match[str]]:
    """The matches of _URI_AT after a scheme (`ldap`, `svn+ssh`: a letter, then [\\w+.-])."""
    for m in _URI_AT.finditer(text):
        i = m.start()
        while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_+.-"):
            i -= 1
            if text[i].isascii() and text[i].isalpha():
                yield m
                break


_QUOTED_LOCAL = re.compile(r'"([^"<>@\n]{1,64})"@[^\W_]')
_DISPLAY_NAME = re.compile(
    r"\b(?:From|To|Cc|Reply-To|Sender): (?:\"([^\"<>@\n]{3,64})\""
    r"|([A-Z][^\W\d_]+(?: [A-Z][^\W\d_]+){1,3})) <[^<>\s]+@"
)
# The same, one pattern per header name, each from its literal (Python's re then finds
# candidates by a fast literal search: 39 ms on 2 MB of log with \b first, here).
_DISPLAY_NAMES = tuple(
    (
        f"{word}: ",
        re.compile(
            rf"{word}: (?<!\w{word}: )(?:\"([^\"<>@\n]{{3,64}})\""
            r"|([A-Z][^\W\d_]+(?: [A-Z][^\W\d_]+){1,3})) <[^<>\s]+@"
        ),
    )
    for word in ("From", "To", "Cc", "Reply-To", "Sender")
)


def _display_names(text: str) -> set[tuple[int, str]]:
    """(offset, name) of what _DISPLAY_NAME finds (and `To:` inside `Reply-To:` again)."""
    return {
        (m.start(), m.group(1) or m.group(2))
        for literal, pattern in _DISPLAY_NAMES
        if literal in text
        for m in pattern.finditer(text)
    }


# Words of role names (`"Mail Delivery System"`), not of a person's; kept.
_ROLE_WORDS = frozenset(
    """
mail mailer delivery system subsystem daemon postmaster administrator admin support team service
services info noreply reply notification notifications alert alerts cron newsletter billing sales
security server undeliverable returned the and for from via office help desk helpdesk customer
customers news update updates account accounts web webmaster hostmaster abuse contact dept
department group list lists owner bounce bounces report reports monitor monitoring automatic
""".split()
)
# A crypt(3) hash (`$6$salt$hash`, bcrypt `$2y$`, `$argon2id$`), and a scheme-tagged value
# (`{SHA512-CRYPT}$6$...`, `{PLAIN}secret`); each starts with a literal (fast to find).
_PASSWORD_HASHES = (
    re.compile(
        r"\$(?<![\w$]\$)(?:1|2[abxy]?|5|6|7|y|gy|md5|apr1|sha1|sha256|sha512|argon2id"
        r"|argon2i|argon2d|scrypt|pbkdf2[\w-]*)\$[\w./$=,+-]{8,}"
    ),
    re.compile(r"\{(?<![\w{$]\{)[A-Z][A-Z0-9.-]{1,30}\}[^\s:|,;\"'<>{}]+"),
)
# Passwords on command lines people paste with their question (each after a literal that is
# fast to find): swaks, testsaslauthd, doveadm auth, zmprov, docker-mailserver's setup,
# htpasswd -b, mysql -pSECRET, curl -u user:secret, sshpass -p, and the AUTH PLAIN how-to's
# `printf '\0user\0secret' | base64`.
_CLI_PW = r"(?P<pw>[^\s'\"]+)"
_CLI_SECRETS = (
    ("--auth-password", re.compile(rf"--auth-password[= ]['\"]?{_CLI_PW}")),
    (
        "testsaslauthd",
        re.compile(rf"testsaslauthd\b(?:[^\n]*? -u (?P<user>[^\s'\"-]\S*))?[^\n]*? -p ['\"]?{_CLI_PW}"),
    ),
    (
        "doveadm",
        re.compile(
            rf"doveadm(?: -\w+)* auth (?:test|login)(?: -\w+ \S+)* (?P<user>[^\s'\"-]\S*) ['\"]?{_CLI_PW}"
        ),
    ),
    (
        "zmprov",
        re.compile(rf"zmprov(?: -\w+)* (?:sp|setPassword|ca|createAccount) (?P<user>\S+) ['\"]?{_CLI_PW}"),
    ),
    ("email ", re.compile(rf"setup(?:\.sh)? email (?:add|update) (?P<user>\S+) ['\"]?{_CLI_PW}")),
    ("htpasswd", re.compile(rf"htpasswd -\w*b\w* \S+ (?P<user>\S+) ['\"]?{_CLI_PW}")),
    ("mysql", re.compile(rf"mysql(?:dump|admin)?\b[^\n]*? -p(?!\s){_CLI_PW}")),
    ("curl", re.compile(rf"curl\b[^\n]*? (?:-u|--user) ['\"]?(?P<user>[^\s:'\"]+):{_CLI_PW}")),
    ("sshpass", re.compile(rf"sshpass -p ['\"]?{_CLI_PW}")),
    ("\\0", re.compile(r"\\0(?:00)?(?P<user>[^\\\s'\"]+)\\0(?:00)?(?P<pw>[^\\\s'\"]+)")),
)
# local(8) and mailbox paths: `/var/mail/hbauer`, `/var/vmail/example.com/hbauer/`.
_LOCAL_USERS = (
    ("/var/", re.compile(r"/var/(?:spool/)?v?mail/(?:[\w-]+(?:\.[\w-]+)+/)?([\w.+-]*\w)")),
    ("for user ", re.compile(r"for user (?<![\w-]for user )([\w.+-]*\w)")),
    ('unknown user: "', re.compile(r'unknown user: "([\w.+-]*\w)')),
    # A database account in its server's words: MySQL's `Access denied for user
    # 'mailsrv'@'10.0.0.5'`, PostgreSQL's `password authentication failed for user "mailsrv"`
    # and `role "mailsrv" does not exist`.
    ("for user '", re.compile(r"for user '([\w.+-]*\w)'")),
    # courier's `550 User <hbauer> unknown`; Roundcube's `Failed login for hbauer from` and
    # `Login failed for hbauer from`; saslauthd's `[user=hbauer]`; pam's `about user hbauer`;
    # Cyrus's `badlogin: host [addr] plaintext hbauer SASL(-13)`.
    ("User <", re.compile(r"User <([\w.+-]*\w)> unknown")),
    # smtpd's reject_sender_login_mismatch: `Sender address rejected: not owned by user hbauer`
    ("not owned by user ", re.compile(r"not owned by user ([\w.+-]*\w)(?=[;,\s]|$)")),
    # sendmail(1), postdrop(1), postqueue(1) name the local user with its UID: `fatal:
    # hbauer(1001): No recipient addresses found`, `User hbauer(1001) is not allowed to submit mail`
    *(
        (f"/{cmd}[", re.compile(rf"/{cmd}\[\d+\]: (?:fatal|warning|error): (?:User )?([\w.-]*\w)\(\d+\)[: ]"))
        for cmd in ("sendmail", "postdrop", "postqueue", "postsuper")
    ),
    # The same system's other logs in a combined log: sudo's, su's and sshd's local users
    # (not sshd's `invalid user`, a name a client tried).
    ("sudo:", re.compile(r"sudo(?:\[\d+\])?: +([\w.-]*\w) : (?:TTY|PWD|user)=")),
    ("(to ", re.compile(r"su(?:\[\d+\])?: (?:\(to \w+\)|FAILED SU \(to \w+\)) ([\w.-]*\w) on ")),
    (
        "sshd",
        re.compile(
            r"sshd(?:-session)?\[\d+\]: (?:Accepted|Failed) \w+ for (?!invalid user )([\w.-]*\w) from "
        ),
    ),
    (" for ", re.compile(r"(?:Failed login|Login failed) for ([\w.+-]*\w) from ")),
    ("[user=", re.compile(r"\[user=([\w.+-]*\w)\]")),
    ("about user ", re.compile(r"about user ([\w.+-]*\w)")),
    ("badlogin: ", re.compile(r"badlogin: \S+ ?\[[^\]\s]*\] [\w-]+ ([\w.+-]*\w) ")),
    ('for user "', re.compile(r'for user "([\w.+-]*\w)"')),
    ('role "', re.compile(r'(?<![\w-])role "([\w.+-]*\w)"')),
)
# `=<user>` with no `@` (the word before it, from/to/orig_to, is tested on each match).
_BARE_ENVELOPE = re.compile(r"=<([\w.+-]+)>")
_ENVELOPE_KEY = re.compile(r"(?<![\w-])(?:from|to|orig_to)\Z")
_HELO_LABEL = re.compile(r"helo=<([A-Za-z][\w-]*[A-Za-z0-9])>")
# Verbose smtpd's (debug_peer_list) dialogue: `< client[addr]: EHLO WIN-PC7`.
_VERBOSE_HELO = re.compile(r"\]: (?:EHLO|HELO|ehlo|helo) ([A-Za-z][\w-]*[A-Za-z0-9])[ \t]*$", re.MULTILINE)
_PROTOCOL_WORDS = frozenset(
    {
        "mx",
        "imap",
        "imaps",
        "pop",
        "pop3",
        "pop3s",
        "esmtp",
        "lmtp",
        "ptr",
        "txt",
        "aaaa",
        "spf",
        "dkim",
        "dmarc",
        "tls",
        "ssl",
        "private",
        "public",
        "ip6-localhost",
        "ip6-loopback",
        "localdomain",
    }
)
# (One pattern per literal start, each fast to find; `\b` before the name is tested after it.)
_DOVECOT_DRIVERS = (
    "pam", "passwd-file", "passwd", "shadow", "sql", "ldap", "static", "checkpassword", "lua",
    "bsdauth", "oauth2", "vpopmail", "master", "imap", "pop3", "lmtp", "managesieve", "submission",
    "lda", "deliver", "sieve", "doveadm", "indexer-worker", "quota-status", "IMAP", "POP3",
)  # fmt: skip
_DOVECOT_USERS = (
    *(
        (f"{name}(", re.compile(rf"{re.escape(name)}\((?<!\w{re.escape(name)}\()([^,()<>\s]+)[,)]"))
        for name in _DOVECOT_DRIVERS
    ),
    ("user=<", re.compile(r"user=<(?<![\w-]user=<)([^,()<>\s]+)>")),
)
# The recipient of a delivery by local(8), virtual(8), lmtp(8) or pipe(8) (one log line).
_DELIVERED_TO = re.compile(
    r"postfix(?:-[\w.-]+)?/(?:local|virtual|lmtp|pipe)\[\d+\]: [^\n]*? (?:orig_)?to=<([^<>@\s]+@[^<>\s]+)>"
)
# pam_unix's `ruser=alice rhost=... user=alice` (the character before is tested per match).
_PAM_USER = re.compile(r"r?user=((?:[\w-]+\\)?[\w.+-]*\w)(?=[\s,;)]|$)", re.MULTILINE)


# A main.cf line pasted into free text (`smtp_sasl_password_maps = static:user:pw`).
# Also `-o name=value` of master.cf and `service/type/name = value` of postconf -P.
_PASTED_PARAM = re.compile(
    r"(?<![\w/])(?:[\w.:\[\]-]+/[a-z]+/)?([a-z][a-z0-9_]*_maps)[ \t]*=[ \t]*"
    r"([^\n]*)"
)
# A sasl_passwd line pasted into free text: `[smtp.example.com]:587 user@example.com:secret`
# (the key an address literal, a dotted name or an address; nothing else on the line).
# (The password may hold spaces: Google's app passwords are written `abcd efgh ijkl mnop`.)
_PASTED_SASL = re.compile(
    # (A report's or a tool's tag is no host, `[problem] 127.0.0.1:25/inet: ...`; a value in
    # parentheses is no `user:password`.)
    r"\n[ \t>]*(?P<host>(?!\[(?i:problem|warning|warn|error|info|note|notice|debug|ok|fail|failed"
    r"|critical|fatal|panic)\])\[[^\]\s]+\](?::\w+)?|[\w.+-]*@?[\w-]+(?:\.[\w-]+)+"
    r"(?::\w+)?)[ \t]+(?P<cred>[^\s:(][^\s:]*:[^\s/][^\n]*?)[ \t]*(?=\n|\Z)"
)

# A key only sasl_passwd(5) tables write: an address literal, or a name with a port.
_SASL_KEY = re.compile(r"\[|[^\s:]+:\d+$")
_TRANSPORT = re.compile(
    r"(?:smtp|lmtp|relay|local|virtual|error|retry|discard|uucp|pipe|dovecot"
    r"|maildrop|cyrus|scan|bsmtp|amavis[\w-]*|[\w-]*-(?:smtp|lmtp|relay|filter"
    r"|out|in|mx))"
)
# A transport(5) result: the transport, and the next hop's host (`relay:[gw03]:25`).
_TRANSPORT_RESULT = re.compile(r"([\w-]+):\[?([A-Za-z][\w.-]*[A-Za-z0-9])\]?(?::\w+)?")
_RELAY_PORT = re.compile(r"(?:\[[^\]\s]+\]|[\w-]+(?:\.[\w-]+)+):\d{1,5}")
_APP_PASSWORD = re.compile(r"\S{4}(?: \S{4})+")
# OpenDKIM's KeyTable value: the domain, the selector and the key file.
_DKIM_KEY = re.compile(r"[\w.-]+\.[\w-]+:[\w.-]+:/\S+")
# (Also lmtp(8)'s `unix:/path` and `inet:host:port`: `lmtp:unix:/run/dovecot/lmtp`.)
_NEXTHOP = re.compile(r"\[?[\w.:-]*\]?(?::\w+)?|(?:unix|inet):\S+")

# SMTP AUTH (logs of the SMTP dialogue, pcap dialogue text): an initial response after the
# mechanism, and the client's answer to each `334` challenge. Base64, so masked whole.
# (A literal first, each case spelling its own pattern: Python's re then finds candidates by a
# fast literal search; one case-insensitive pattern cost 0.2 s on 10 MB of log, here.)
_AUTH_INITIAL = {
    word: re.compile(
        rf"{word}(?<![\w-]{word})[ \t]+([A-Za-z0-9_-]+)[ \t]+"
        r"([A-Za-z0-9+/]{4,}={0,2})(?![\w+/=])"
    )
    for word in ("AUTH", "auth", "Auth")
}
_DOVECOT_RESP = re.compile(r"(?<![\w-])resp=([A-Za-z0-9+/]{4,}={0,2})(?![\w+/=])")
_DECODED = re.compile(r"decoded (?:initial )?response:? ([^\n]*?)[ \t]*$", re.MULTILINE)
_CHALLENGE = re.compile(r"(?:^|[\s:>])334(?:[ \t]+([A-Za-z0-9+/]*={0,2}))?[ \t]*$")
_RESPONSE = re.compile(r"^(?:.*?(?:[>:]|\bC:)[ \t]+)?([A-Za-z0-9+/]{4,}={0,2})[ \t]*$")


def _b64(text: str) -> str | None:
    import base64
    import binascii

    if len(text) % 4:
        return None
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def learn_auth_dialogue(engine: Engine, text: str) -> None:
    """The base64 of AUTH PLAIN/LOGIN (and any mechanism's) responses: masked as secrets; the
    decoded user name learned, the decoded password masked too wherever else it appears."""
    for word, pattern in _AUTH_INITIAL.items():
        if word not in text:
            continue
        for m in pattern.finditer(text):
            mech, blob = m.group(1).upper(), m.group(2)
            decoded = _b64(blob)
            if decoded is not None:
                engine.learn_secret(blob)
                _learn_decoded(engine, mech, decoded, "user" if mech == "LOGIN" else "")
    pos = text.find("334")
    while pos >= 0:
        if pos and not (text[pos - 1].isspace() or text[pos - 1] in ":>"):
            pos = text.find("334", pos + 1)  # (inside a number: no challenge here, _CHALLENGE says)
            continue
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        if end < 0:
            break
        c = _CHALLENGE.search(text, max(start - 1, 0), end)  # (from the newline before)
        line_end = end
        # The client's answer: the next line, or one of the two after it (verbose logs put
        # the server's own debug lines in between).
        for _ in range(3) if c is not None else ():
            nxt = text.find("\n", line_end + 1)
            nxt = len(text) if nxt < 0 else nxt
            r = _RESPONSE.match(text[line_end + 1 : nxt])
            line_end = nxt
            decoded = _b64(r.group(1)) if r else None
            if r is None or decoded is None:
                continue
            engine.learn_secret(r.group(1))
            challenge = (_b64(c.group(1) or "") or "").lower()  # type: ignore[union-attr]
            _learn_decoded(
                engine,
                "",
                decoded,
                "user" if challenge.startswith("user") else "secret" if challenge.startswith("pass") else "",
            )
            break
        pos = text.find("334", end)
    if "resp=" in text:
        # Dovecot's auth debug log: `client in: AUTH<TAB>1<TAB>PLAIN<TAB>...<TAB>resp=<base64>`.
        for blob in _DOVECOT_RESP.findall(text):
            decoded = _b64(blob)
            if decoded is not None:
                engine.learn_secret(blob)
                _learn_decoded(engine, "", decoded, "")
    if "decoded" in text:
        # Cyrus SASL's verbose logging (smtpd -v) writes the responses decoded.
        for m in _DECODED.finditer(text):
            if m.group(1).lower() not in engine.users:  # (the user name, from its base64)
                engine.learn_secret(m.group(1))


def _learn_decoded(engine: Engine, mech: str, decoded: str, role: str) -> None:
    if mech == "PLAIN" or "\0" in decoded:
        parts = decoded.split("\0")
        for user in parts[:-1]:
            if user:
                _learn_login(engine, user)
        engine.learn_secret(parts[-1])
    elif role == "user":
        _learn_login(engine, decoded)
    elif len(decoded) >= 4:
        engine.learn_secret(decoded)


def learn_sasl_passwd(engine: Engine, text: str) -> None:
    """`[relay]:587 user:password` lines: the host, the user, and the password to mask."""
    for host, user, password in _SASL_LINE.findall(text):
        if host.startswith("#"):
            continue
        for tok in host_tokens(host):
            engine.learn_host(tok)
        engine.learn_user(user)
        engine.learn_secret(password)


# The first word of an access(5) or header_checks(5) result: what follows it is an action's
# argument or free text for the client (`REJECT Sender blocked by policy`), not user names.
_ACTION = re.compile(
    r"(?i:ok|reject|defer|defer_if_permit|defer_if_reject|discard|dunno|filter"
    r"|hold|prepend|redirect|warn|info|bcc|ignore|replace|strip|permit\w*"
    r"|reject_\w+|check_\w+|[245]\d\d)$"
)


# The pattern of a regexp(5)/pcre(5) table line, `/.../flags` (also `!/.../`, `if /.../`).
_REGEXP_KEY = re.compile(r"(?:if\s+)?!?/((?:\\.|[^\\])*?)/[A-Za-z]*(?=\s|$)")
_REGEXP_LOCAL = re.compile(r"((?:[\w%+-]|\\[.+-]|(?<=\w)\.(?=\w))+)@")


def learn_map_text(engine: Engine, text: str) -> None:
    """A lookup table source: bare local user names on either side (`lager@dom  j.meier`);
    after an access action only the local parts of addresses (`REDIRECT lager@dom`)."""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        first = 1
        key = _REGEXP_KEY.match(line)
        if key:
            # A regexp:/pcre: table's pattern (header_checks, body_checks): its words are the
            # text it looks for (`/Orchard Peak internal use only/`), not names; the
            # addresses in it are (`/^h\.bauer@/`). What follows is the result.
            for local in _REGEXP_LOCAL.findall(key.group(1)):
                engine.learn_user(local.replace("\\", ""))
            line, first = line[key.end() :].strip(), 0
            if not line:
                continue
        tokens = re.split(r"[\s,]+", line)
        for i in range(first, len(tokens)):  # (after the key: no key is an action)
            if _ACTION.match(tokens[i]):
                tokens = tokens[:i] + [t for t in tokens[i + 1 :] if "@" in t]
                break
        for tok in tokens:
            tok = tok.rstrip(":")
            hop = _TRANSPORT_RESULT.fullmatch(tok)
            if (
                hop
                and _TRANSPORT.fullmatch(hop.group(1))
                and hop.group(1) not in ("error", "retry", "discard")
            ):
                # transport(5)'s `relay:[gw03]`, `smtp:mx2:2525`: the next hop, a host of the site
                if "." in hop.group(2):
                    engine.learn_host(hop.group(2))
                elif not engine.is_keyword(hop.group(2)):
                    engine.learn_short_host(hop.group(2))
                continue
            if "@" in tok:
                local = tok.split("@", 1)[0]
                if local:
                    engine.learn_user(local)
            elif re.fullmatch(r"[A-Za-z][\w.+-]*", tok) and not engine.is_keyword(tok):
                if "." in tok and engine._looks_like_domain(tok.lower()):
                    engine.learn_host(tok)
                else:
                    engine.learn_user(tok)


def learn_named_text(engine: Engine, name: str, text: str) -> None:
    """Dispatch on what a document's name says it is."""
    lowered = name.lower()
    if "sasl" in lowered or "passw" in lowered:
        learn_sasl_passwd(engine, text)
    if "postconf" in lowered:
        learn_postconf_text(engine, text)
    elif any(h in lowered for h in MAP_HINTS) and not _looks_like_cf(text):
        learn_map_text(engine, text)
    learn_free_text(engine, text)


def _looks_like_cf(text: str) -> bool:
    """A `key = value` file (mysql:/ldap: table config), not a lookup table source."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return bool(lines) and all(re.match(r"^\s*\w+\s*=", ln) or ln[:1].isspace() for ln in lines)


def is_words(data: Any) -> bool:
    """A list of strings only: a command's arguments, where `args` holds one."""
    return isinstance(data, list) and all(isinstance(w, str) for w in data)


def iter_strings(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, string) for every string inside plain data, dict keys included."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                yield f"{path}/{key}#key", key
            if key == "args" and is_words(value):
                # A command's arguments: one line (see report._walk_words).
                yield f"{path}/{key}", " ".join(value)
            else:
                yield from iter_strings(value, f"{path}/{key}")
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            yield from iter_strings(value, f"{path}/{i}")


def learn_parameter_list(engine: Engine, items: Iterable[Any]) -> None:
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            value = item.get("value")
            if isinstance(value, str):
                learn_parameter(engine, item["name"], value)


def map_paths(params: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(parameter, map type, path) of file-based tables named in main.cf parameter values."""
    out = []
    for name, value in params:
        for m in MAP_REF.finditer(value):
            out.append((name, m.group("type"), m.group("path")))
    return out
