"""The regular expressions that find site values in Postfix text (ours; scrubadub's stock ones damage it)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from re import Pattern
from typing import Any

# One DNS label: letters/digits (any script), inner hyphens; underscores tolerated inside.
LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
# A dot, or a regexp-escaped dot (`example\.com` in regexp/pcre tables).
DOT = r"\\?\."
# What every secret becomes, whatever its length: equal secrets cannot be told apart.
SECRET_MASK = "********"
TLD = r"(?:[^\W\d_]{2,63}|xn--[\w-]{1,59})"
# A local part; also as a regexp writes it (`h\.bauer`, `h\+tag`) and with Postfix's expansions
# in it (`$user`, `${recipient}`, a back-reference `$1`), which are kept (Engine.user).
# (Written as one run and its escapes, none of which can start the run: linear time.)
# (An expansion where a word cannot go on into it: `+$user`, not `mx1.example.de$x` of a log.)
LOCAL_PART = (
    r"(?=[\w.%+\\$-])[\w.%+-]*"
    r"(?:(?:\\[.+-]|(?<![^\W_])\$(?:\d|\{[^{}\s@]*\}|[A-Za-z_]\w*))[\w.%+-]*)*"
)
DOMAIN = rf"(?:{LABEL}{DOT})+{TLD}(?![\w-])(?!{DOT}[^\W_])"
# A log line's time: syslog's (`Jul  3 19:18:06`, with a year `Jul 03 2024 19:18:06`) or ISO
# 8601's (rsyslog's high-precision form, `2024-07-03 17:18:06,123`). Before it, what log
# shippers add: `docker logs -t`'s own ISO time before the syslog one, docker compose's
# `service  | `, and RFC 5424's `<22>1 `. The syslog host comes after all of it.
_CLASSIC_TIME = r"[A-Z][a-z]{2} [ \d]\d(?: \d{4})? \d\d:\d\d:\d\d"
_ISO_TIME = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"
TIMESTAMP = (
    rf"(?:(?:[\w.-]+ +\| )?(?:<\d{{1,3}}>\d{{0,2}} )?"
    rf"(?:(?:{_ISO_TIME} )?{_CLASSIC_TIME}|{_ISO_TIME}))"
)

SECRET_KEYS = r"password|passwd|pwd|pass|bind_pw|secret|auth_pw|sasl_password|api_key|token"
# Substrings one of which every SECRET_KEYS keyword holds (`pass`: password, passwd, ...): text
# holding none of them, in lower case, holds no credential (a fast test before the pattern).
SECRET_WORDS = ("pass", "pwd", "_pw", "secret", "api_key", "token")
# The value after such a keyword: not MySQL's `(using password: YES)` / `NO)`, which says
# whether a password was sent (the helper needs it), not what it was; and not the closing
# parenthesis of Dovecot's `(given password: x)`.
CRED_VALUE = r"(?!(?i:yes|no)\))[^\s,;\"'<>]*[^\s,;\"'<>)]"
assert all(any(w in k for w in SECRET_WORDS) for k in SECRET_KEYS.split("|"))
# The keys of the `key = value` lines of mysql:/pgsql:/ldap:/sqlite: table files (CFLINE).
CFLINE_KEYS = "user|username|password|passwd|bind_pw|bind_dn|dbname|search_base|sasl_authz_id"
# The keys among them whose value is one word (an account or database name): a line that starts
# `user=` with more after the value is master.cf's pipe(8) entry (`user=vmail argv=/usr/bin/x`,
# also as `postconf -Mf` folds it), whose `argv=` and command are not a user name.
CFLINE_WORD_KEYS = "user|username|dbname"
# CFLINE's key: a one-word key only where one word follows it to the end of the line.
CFLINE_KEY = (
    rf"(?:{CFLINE_WORD_KEYS})(?=[ \t]*=[ \t]*[^\s]+[ \t]*$)"
    "|" + "|".join(k for k in CFLINE_KEYS.split("|") if k not in CFLINE_WORD_KEYS.split("|"))
)

# Each alternative is one outer named group; Engine dispatches on Match.lastgroup.
ALTERNATIVES = [
    # The syslog host field: the short host name helpers must not learn, e.g. `mx1`.
    ("SYSLOG", rf"^(?P<sl_pre>{TIMESTAMP} )(?P<sl_host>[^\s\[\]:]+)(?= \S)"),
    # `key = value` lines of mysql:/pgsql:/ldap:/sqlite: table files.
    (
        "CFLINE",
        rf"^(?P<cf_pre>[ \t]*(?P<cf_key>{CFLINE_KEY})[ \t]*=[ \t]*)"
        r"(?P<cf_val>[^\s](?:[^\n]*[^\s])?)(?=[ \t]*$)",
    ),
    ("CRED", rf"(?<![\w-])(?P<cr_pre>(?i:{SECRET_KEYS})[ \t]*[=:][ \t]*)(?P<cr_val>{CRED_VALUE})"),
    ("SASLUSER", r"(?<![\w-])(?P<su_pre>sasl_username=)(?P<su_val>[^\s,]+)"),
    # An LDAP DN with domain components (`cn=admin,dc=example,dc=co,dc=uk`): the dc= labels
    # are one domain name, the other values names.
    (
        "DN",
        r"(?<![\w=,-])(?P<dn>(?:[A-Za-z]+=[^,=\s\"'<>;():]+,)*[Dd][Cc]=[^,=\s\"'<>;():]+"
        r"(?:,[A-Za-z]+=[^,=\s\"'<>;():]+)*)",
    ),
    # A name that embeds an IPv4 address (`102.176.45.207.isp.net`, `host-207-45-176-102.isp.net`),
    # with the address in brackets after it where Postfix logs one (which says the order).
    (
        "RDNS",
        rf"(?<![\w.-])(?P<rd>(?P<rd_pre>(?:[A-Za-z][\w-]*\.){{0,2}})"
        r"(?:(?P<rd_qp>[A-Za-z][A-Za-z0-9]*-)?(?P<rd_q>\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})"
        r"|(?P<rd_hp>[A-Za-z][A-Za-z0-9]*-)?(?P<rd_h>\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})"
        r"(?P<rd_hs>-[A-Za-z0-9-]*[A-Za-z0-9])?)"
        rf"\.(?P<rd_dom>{DOMAIN}))(?:(?=\[(?P<rd_ip>\d{{1,3}}(?:\.\d{{1,3}}){{3}})\]))?",
    ),
    # A VERP address (`list-bounces+123-frank=example.net@lists.example.com`): the recipient's
    # address is inside the local part, `=` for its `@`.
    (
        "VERP",
        rf"(?<![\w.%+-])(?P<vp_head>[\w.%-]+)\+(?P<vp_id>\d+-)?(?P<vp_local>[\w.%-]+)="
        rf"(?P<vp_edom>{DOMAIN})@(?P<vp_dom>{DOMAIN}|{LABEL}(?![\w.-]))",
    ),
    # (Also `user@` with no domain: access(5) keys, `user@[192.0.2.1]` address literals.)
    (
        "EMAIL",
        rf"(?<![\w.%+-])(?P<em_local>{LOCAL_PART})@"
        rf"(?P<em_dom>{DOMAIN}|{LABEL}(?![\w.-])|(?![\w.-]))",
    ),
    ("CATCHALL", rf"(?<![\w.%+-])@(?P<ca_dom>{DOMAIN})"),
    (
        "IPV4",
        r"(?<![\w.])(?P<v4>\d{1,3}(?:\.\d{1,3}){3})"
        r"(?:/(?P<v4len>\d{1,3})|\.(?P<v4port>\d{1,5}))?(?![\w]|\.\d)",
    ),
    # An address or a network's first octets as a regexp writes them (`10\.44\.`,
    # `192\.168\.7\.12`, in header_checks and pcre: tables): the same replacement, escaped.
    (
        "IPV4RE",
        r"(?<![\w.\\])(?P<v4re>\d{1,3}(?:\\\.\d{1,3}){3}(?![\w]|\\?\.\d)"
        # (first octets only before an escaped dot: `3\.6` of a version stays)
        r"|\d{1,3}(?:\\\.\d{1,3}){1,2}(?=\\\.(?!\d)))",
    ),
    # (Also after `service:`: anvil's `(smtpd:2604:8d00::3)`.)
    (
        "IPV6",
        r"(?:(?<![\w.:])|(?<=[Ii][Pp][Vv]6:)|(?<=[^\W\d_]:))"
        r"(?P<v6>(?=[0-9A-Fa-f:.]*::|(?:[0-9A-Fa-f]{1,4}:){6})(?:[0-9A-Fa-f]{0,4}:){2,7}"
        r"(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?)"
        r"(?:(?P<v6br>\]?)/(?P<v6len>\d{1,3}))?"
        # An address ends before a word or a hex digit, or with Postfix's colon after
        # it (`2001:db8::1: Name or service not known`, `2001:db8::1:smtp`): inside v6
        # when it has room for one more group, else in v6colon (eight groups).
        r"(?:(?![\w:]|\.\d)|(?<=[0-9A-Fa-f]:)(?![0-9A-Fa-f:.])"
        r"|(?<=[0-9A-Fa-f])(?P<v6colon>:)(?![0-9A-Fa-f:.]))",
    ),
    # (A hyphen before the name only where it cannot be inside a label: `]-mail.example.de`.)
    ("DOM", rf"(?<!\w)(?<!\w-)(?<![\w-]\.)(?<![\w-]\\\.)(?P<dm>{DOMAIN})"),
]

SECRETS_ONLY = ("CFLINE", "CRED")


def literal_alternation(values: Iterable[str]) -> str:
    """A regex matching any of `values` (longest first), dots also matching regexp-escaped dots.

    Built as a trie: a flat alternation of thousands of learned names (every sasl_username of
    a busy log) is tried value by value at every position; a trie fails at the first letter.
    """
    trie: dict[str, Any] = {}
    for value in set(values):
        node = trie
        for ch in value:
            node = node.setdefault(ch, {})
        node[""] = {}

    # Rendered from the leaves up, without recursion: a secret of a thousand characters (an
    # XOAUTH2 token) is a chain a thousand nodes deep, past Python's recursion limit.
    rendered: dict[int, str] = {}
    todo: list[tuple[dict[str, Any], bool]] = [(trie, False)]
    while todo:
        node, children_done = todo.pop()
        keys = sorted(k for k in node if k)
        if not children_done:
            todo.append((node, True))
            todo.extend((node[k], False) for k in keys)
            continue
        branches = [(DOT if ch == "." else re.escape(ch)) + rendered.pop(id(node[ch])) for ch in keys]
        if not branches:
            rendered[id(node)] = ""
            continue
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        rendered[id(node)] = f"(?:{body})?" if "" in node else body
    return rendered[id(trie)]


# Alternatives only a token with their mark can match (`dc=`; `+`, `=` and `@`; an address
# written into a name: RDNS_HINT): a second scanner has them, used only for such tokens, so the
# common token does not pay for trying them at every position.
EXTRAS = ("DN", "RDNS", "VERP")
RDNS_HINT = re.compile(r"\d{1,3}([.-])\d{1,3}\1\d{1,3}\1\d{1,3}[.-][^\W_]|-\d{1,3}(?:\.\d{1,3}){3}\.")


def needs_extras(token: str) -> bool:
    """Whether one of EXTRAS could match in `token` (a superset of where they match)."""
    return (
        "dc=" in token
        or "DC=" in token
        or "dC=" in token
        or "Dc=" in token
        or ("+" in token and "=" in token and "@" in token)
        or RDNS_HINT.search(token) is not None
    )


SCANNER_SECRET_MAX = 256


def build_scanner(secrets: Iterable[str], secrets_only: bool, extras: bool = False) -> Pattern[str]:
    """The token scanner: learned secrets first, then the generic detectors.

    Without `extras`, the EXTRAS alternatives are left out. The learned bare words (users,
    short hosts) are no alternative here: bare.BareWords finds them by set lookup, and the
    engine merges its matches in where the KNOWN alternative stood (before EMAIL) and the
    KNOWNDOT one (last): see bare.merged().
    """
    head: list[str] = []
    parts: list[str] = []
    # (A longer secret, an XOAUTH2 token or a whole pasted line, is masked by substring search
    # before any scanner runs, Engine.mask_secrets: in the trie it cost seconds to compile.)
    long_secrets = [s for s in secrets if 4 <= len(s) <= SCANNER_SECRET_MAX]
    short_secrets = [s for s in secrets if 0 < len(s) < 4]
    if long_secrets:
        head.append(f"(?P<SECRET>{literal_alternation(long_secrets)})")
    if short_secrets:
        parts.append(rf"(?P<SHORTSECRET>(?<![\w])(?:{literal_alternation(short_secrets)})(?![\w]))")
    for name, regex in ALTERNATIVES:
        if secrets_only and name not in SECRETS_ONLY:
            continue
        if name in ("SYSLOG", "CFLINE"):
            continue  # line-anchored: the outer pass handles them (tokens are not lines)
        if name in EXTRAS and not extras:
            continue
        parts.append(f"(?P<{name}>{regex})")
    # Every alternative but a long secret starts where no word character precedes (each has
    # its own lookbehind saying so): testing that once first makes the many mid-word positions
    # fail at once instead of trying every alternative (same matches, several times faster).
    if parts:
        head.append(r"(?<!\w)(?:" + "|".join(parts) + ")")
    return re.compile("|".join(head), re.MULTILINE)


def build_outer(known: bool, secrets_only: bool) -> Pattern[str]:
    """The fast outer pass: line-anchored fields, multi-word credentials, and candidate tokens.

    Only tokens (runs of non-space) holding `.`, `@`, `:`, `=` or a learned bare value can hold
    site values; the full scanner runs on those alone (and is cached per token), so the cost per
    megabyte of logs stays low. With `known` (bare words were learned), every other token is a
    KNOWNTOKEN candidate, which bare.BareWords.in_token() accepts or leaves as it is.
    """
    line, token = _outer_parts(known, secrets_only)
    return re.compile("^(?:" + "|".join(line) + ")|" + _token_part(token), re.MULTILINE)


def build_token_outer(known: bool) -> Pattern[str]:
    """The token half of build_outer alone (anonymizing mode), for one space-free piece of a line.

    On a piece that holds no whitespace it matches exactly where build_outer's pattern matches
    inside a line, given the line has no line-anchored field and no credential (SLOW_LINE).
    """
    _line, token = _outer_parts(known, False)
    return re.compile(_token_part(token), re.MULTILINE)


def _outer_parts(known: bool, secrets_only: bool) -> tuple[list[str], list[str]]:
    """build_outer's line-anchored alternatives and its token alternatives."""
    alts = dict(ALTERNATIVES)
    cred = alts["CRED"].replace(r"(?<![\w-])", "")
    line = [f"(?P<CFLINE>{alts['CFLINE'][1:]})"]
    token = [f"(?P<CRED>{cred})"]
    if secrets_only:
        token.append(r"(?P<TOKEN>[^\s=:]*[=:]\S*)")
    else:
        line.insert(0, f"(?P<SYSLOG>{alts['SYSLOG'][1:]})")
        # Skip, inside the regex engine, the frequent tokens that cannot hold site data:
        # `postfix/smtpd[123]:`, `size=1234,`, `delays=0.1/0/3/0,`, `dsn=2.0.0,`, queue IDs.
        # (A value with four dotted numbers is an IPv4 address or network: never skipped.)
        # Also `status=sent`, `proto=ESMTP`, enhanced status codes `4.7.1`, and words such as
        # `said:` (a learned short host followed by `:` is caught by KNOWNTOKEN after this).
        token.append(
            r"(?!(?:[\w/.-]*\[\d+\]:|[A-Za-z_]+=(?![\d.]*\d\.\d+\.\d+\.\d)[\d.,/]*"
            r"|(?:status|proto|relay|sasl_method)=[A-Za-z]+,?|\d+(?:\.\d+){1,2}[,;:)]?"
            r"|[A-Za-z]+:|[0-9A-F]{5,}:?)(?!\S))"
            # (`%`, `&`, `\\`: a name with encoded dots, `example%2Ecom`.)
            r"(?P<TOKEN>[^\s.@:=%&\\]*[.@:=%&\\]\S*)"
        )
        if known:
            # Any other token, tried after TOKEN (which takes most tokens at less cost): where
            # the scanner's KNOWN or KNOWNDOT could match, BareWords.in_token() says.
            token.append(r"(?P<KNOWNTOKEN>\S+)")
    return line, token


def _token_part(token: list[str]) -> str:
    return r"(?<!\S)(?:" + "|".join(token) + ")"


# A line the piece-by-piece path must leave to build_outer's pattern: a `key = value` table line
# (CFLINE) or a credential keyword followed by `=`/`:` (CRED, which may span a space). A superset
# of where those match: the keys anywhere, in any case.
SLOW_LINE = re.compile(rf"^[ \t]*(?:{CFLINE_KEYS})[ \t]*=|(?i:{SECRET_KEYS})[ \t]*[=:]", re.MULTILINE)
# A token whose parts between these characters can be anonymized one by one: no pattern of the
# scanner matches across them or looks at them (see Engine._atoms_safe).
ATOM_SPLIT = re.compile(r"""([=<>\[\](),;"'])""")


_PIPE_BEFORE = re.compile(r"(?:^|\s)(?:flags=\S*|pipe)\s")


def pipe_user(text: str, start: int, end: int) -> bool:
    """Whether `user=x` at text[start:end] is the account of a master.cf pipe(8) entry.

    That is a system account named after the software it runs (`user=vmail`, `user=zeyple
    argv=/usr/local/bin/zeyple.py`): helpers need it as it is, and replacing it renamed the
    service and its command too. Its entry says `argv=` after it, on its line or (as `postconf
    -Mf` folds it) the next, or `flags=`/`pipe` before it on its line.
    """
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if "argv=" in text[end:line_end] or _PIPE_BEFORE.search(text, line_start, start):
        return "pam_" not in text[line_start:line_end]  # pam_unix's `user=alice` is a person
    following = text[line_end + 1 : line_end + 200].lstrip(" \t")
    return following.startswith("argv=")
