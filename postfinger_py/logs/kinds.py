"""Known kinds of Postfix log lines, explained; and pflogsumm-style counts of rejects and failures.

The problem scan hands every line it takes to an `Explainer`; nothing here reads the log again.
KINDS is the one table: (code, regex, severity, message, action, manual). The first kind whose
regex matches a line's message wins, so specific kinds come before the generic fatal/panic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from postfinger_py.logs.lines import LogLine

# Where a kind's lines come from: Postfix's own warning/error/fatal/panic lines, smtpd's
# `connect from` lines, or delivery status lines (status=deferred / status=bounced).
PROBLEM, CONNECT, DELIVERY = "problem", "connect", "delivery"


@dataclass(frozen=True)
class LogKind:
    code: str
    regex: re.Pattern[str]
    severity: str  # problem | warning | note (a Finding's severity)
    message: str
    action: str
    manual: str
    source: str = PROBLEM
    # A line matching this makes the kind one step more severe (e.g. loopback shown as unknown).
    escalate: re.Pattern[str] | None = None


def _k(
    code: str,
    regex: str,
    severity: str,
    message: str,
    action: str,
    manual: str,
    source: str = PROBLEM,
    escalate: str = "",
) -> LogKind:
    return LogKind(
        code,
        re.compile(regex),
        severity,
        message,
        action,
        manual,
        source,
        re.compile(escalate) if escalate else None,
    )


KINDS: tuple[LogKind, ...] = (
    _k(
        "log-unknown-client",
        r"^connect from unknown\[",
        "note",
        "smtpd logs clients as unknown[address]: their names could not be looked up. For a few "
        "clients without reverse DNS that is normal; for loopback or your own networks DNS does "
        "not work inside the chroot jail ($queue_directory/etc lacks resolv.conf, hosts, "
        "nsswitch.conf) or the resolver is broken.",
        "copy the resolver files into the jail (Debian: restart postfix, which runs "
        "/usr/lib/postfix/configure-instance.sh) or run smtpd without chroot; check the "
        "resolver with `host ADDRESS`",
        "DEBUG_README",
        CONNECT,
        escalate=r"^connect from unknown\[(?:127\.|::1\])",
    ),
    _k(
        "log-open-database",
        r"open database \S+: No such file or directory",
        "problem",
        "A lookup table's indexed file (.db) does not exist, so every lookup in it fails and "
        "mail that needs it is deferred.",
        "build it: postmap TYPE:FILE (e.g. postmap hash:/etc/postfix/transport), then postfix reload",
        "postmap(1)",
    ),
    _k(
        "log-stale-database",
        r"database \S+ is older than source file",
        "warning",
        "A lookup table's source file was changed after its .db was built: Postfix still uses "
        "the old contents.",
        "run postmap on the source file named in the line, then postfix reload",
        "postmap(1)",
    ),
    _k(
        "log-unsupported-dict",
        r"unsupported dictionary type: \S+",
        "problem",
        "main.cf or master.cf uses a lookup table type this Postfix does not support (missing "
        "plug-in package): every lookup in it fails.",
        "install the plug-in (Debian: apt install postfix-mysql, postfix-pgsql, postfix-ldap, "
        "postfix-lmdb, ...); `postconf -m` lists the types available",
        "DATABASE_README",
    ),
    _k(
        "log-relay-restrictions",
        r"specify at least one working instance of: "
        r"reject_unauth_destination",
        "problem",
        "smtpd refuses to start: its relay restrictions (smtpd_relay_restrictions or "
        "smtpd_recipient_restrictions) have no reject_unauth_destination, which would make it "
        "an open relay; that service accepts no mail.",
        "add reject_unauth_destination (or defer_unauth_destination) to smtpd_relay_restrictions "
        "of that service (main.cf or its -o override), then postfix reload",
        "postconf(5) smtpd_relay_restrictions",
    ),
    _k(
        "log-process-limit",
        r"has reached its process limit",
        "warning",
        "A service ran out of processes: new clients wait (and may time out).",
        "raise that service's maxproc column in master.cf (or default_process_limit), or find "
        "out why sessions last so long, then postfix reload",
        "postconf(5) default_process_limit",
    ),
    _k(
        "log-delivery-refused",
        r"connect to \S+: Connection refused",
        "warning",
        "Deliveries fail because the next hop (the relayhost, or the recipient's MX) refuses "
        "the connection: nothing listens there.",
        "check relayhost / transport_maps name the right host and port, and that the server "
        "there runs (telnet HOST PORT)",
        "postconf(5) relayhost",
        DELIVERY,
    ),
    _k(
        "log-delivery-timeout",
        r"connect to \S+: Connection timed out|conversation with \S+ "
        r"timed out",
        "warning",
        "Deliveries fail because connections to the next hop time out (a firewall, a blocked "
        "outbound port 25, or a dead server).",
        "check outbound connectivity to that host and port (many providers block port 25: use "
        "a relayhost on 587)",
        "postconf(5) smtp_connect_timeout",
        DELIVERY,
    ),
    _k(
        "log-delivery-lost",
        r"lost connection with \S+ while",
        "warning",
        "The next hop drops the connection during delivery.",
        "look at that server's log, or record the session (postfinger --pcap) to see when it hangs up",
        "DEBUG_README",
        DELIVERY,
    ),
    _k(
        "log-loops-back",
        r"loops back to myself",
        "problem",
        "Mail for a domain loops back to this server: the domain is routed here but not "
        "declared as delivered here.",
        "add the domain to mydestination (or virtual_alias/mailbox_domains), or fix the MX / "
        "relayhost that points back to $myhostname",
        "postconf(5) mydestination",
        DELIVERY,
    ),
    _k(
        "log-tls-library",
        r"TLS library problem",
        "note",
        "The TLS library reported a problem during a TLS session (often a client hanging up, "
        "or no common protocol/cipher).",
        "many of them from one peer: compare its TLS settings with smtpd_tls_* / smtp_tls_*",
        "TLS_README",
    ),
    _k(
        "log-tls-certificate",
        r"cannot (?:load|get) \S*\s*(?:certificate|private key)|"
        r"disabling TLS support",
        "problem",
        "A certificate or private key could not be loaded: TLS is disabled for that service.",
        "check smtpd_tls_cert_file / smtpd_tls_key_file (or smtpd_tls_chain_files): the files "
        "exist, are readable by root, and the key matches the certificate",
        "postconf(5) smtpd_tls_chain_files",
    ),
    _k(
        "log-unused-parameter",
        r"unused parameter: ",
        "warning",
        "main.cf sets a parameter Postfix does not know, usually a typo: the setting has no effect.",
        "correct the name (postconf -n shows it; postconf -d NAME checks a spelling)",
        "postconf(5)",
    ),
    _k(
        "log-comment-in-value",
        r"comment at end of line is not supported|"
        r"#.* is not supported",
        "warning",
        "A main.cf value holds a '#': comments must start a line, so the rest of the line is "
        "part of the value.",
        "move the comment to a line of its own, then postfix reload",
        "postconf(5)",
    ),
    _k(
        "log-sasl-relay-failed",
        r"SASL authentication failed; server",
        "problem",
        "This server's own SASL login at the next hop (relayhost) is refused: mail to it is deferred.",
        "check the user name and password in smtp_sasl_password_maps (and run postmap on it), "
        "and smtp_sasl_security_options",
        "SASL_README",
        DELIVERY,
    ),
    _k(
        "log-sasl-client-failed",
        r"SASL \S+ authentication failed",
        "note",
        "Clients failed to authenticate (a wrong password, or password guessing).",
        "many from few addresses: block them (fail2ban); from your users: check the SASL "
        "backend (saslauthd / Dovecot)",
        "SASL_README",
    ),
    _k(
        "log-damaged-message",
        r"damaged message: ",
        "warning",
        "A queue file is damaged and was set aside in the corrupt queue.",
        "look at it with postcat -q (or postcat FILE), then delete it with postsuper -d",
        "postsuper(1)",
    ),
    _k(
        "log-permission-denied",
        r"Permission denied",
        "warning",
        "A Postfix program may not read or write a file it needs.",
        "check owner and mode of the file named in the line (postfix set-permissions, postfix check)",
        "postfix(1)",
    ),
    _k(
        "log-table-missing",
        r"(?:[a-z]+:/\S+|\.(?:db|lmdb|cdb|cf)\b).*No such file or directory",
        "warning",
        "A lookup table or its configuration file named in the configuration does not exist.",
        "create the file (and postmap it), or remove the table from main.cf / master.cf",
        "DATABASE_README",
    ),
    _k(
        "log-address-not-listed",
        r"address not listed for hostname|does not resolve to address",
        "note",
        "A client's reverse DNS name does not resolve back to its address (forged or broken "
        "DNS); it is shown as unknown and restrictions on its name do not apply.",
        "nothing to do for foreign clients; for your own hosts fix their DNS (PTR and A)",
        "postconf(5) reject_unknown_client_hostname",
    ),
    _k(
        "log-start-stop-state",
        r"^fatal: the Postfix mail system is (?:not|already) running",
        "note",
        "postfix start or stop was run while Postfix already was in that state: harmless "
        "in itself, but a start that says so did not apply a changed configuration.",
        "after changing main.cf or master.cf run postfix reload",
        "postfix(1)",
    ),
    _k(
        "log-fatal",
        r"^fatal: ",
        "problem",
        "A Postfix program stopped with a fatal error: the service it provides does not work.",
        "read the line: it names the cause; fix it, then postfix reload",
        "DEBUG_README",
    ),
    _k(
        "log-panic",
        r"^panic: ",
        "problem",
        "A Postfix program panicked (an internal error): the service it provides does not work.",
        "report it to postfix-users with this line and postfinger's report",
        "DEBUG_README",
    ),
)

BY_CODE: dict[str, LogKind] = {k.code: k for k in KINDS}
_RANK: dict[str, int] = {k.code: i for i, k in enumerate(KINDS)}  # the table's order
_BY_SOURCE: dict[str, tuple[LogKind, ...]] = {
    s: tuple(k for k in KINDS if k.source == s) for s in (PROBLEM, CONNECT, DELIVERY)
}

MAX_GROUPS = 200  # distinct reject / failure classes tracked; beyond that counted as "other"
MAX_DOMAINS = 20  # recipient domains counted per reject class

# NOQUEUE: reject: RCPT from host[addr]: 554 5.7.1 <rcpt>: Relay access denied; from=<> to=<> ...
_REJECT = re.compile(
    r"NOQUEUE: reject: (\S+) from \S+: (\d{3})(?: (\d\.\d{1,3}\.\d{1,3}))? "
    r"(.*?)(?:; from=<([^>]*)>(?: to=<([^>]*)>)?|$)"
)
_LEAD = re.compile(r"^(?:<[^>]*>|[^\s\[\]]*\[[^\]]*\]): ")
_BLOCKED = re.compile(r"blocked using (\S+?)[;,]?(?:\s|$)")
_STATUS = re.compile(r", dsn=(\d\.\d{1,3}\.\d{1,3}), status=(deferred|bounced) \((.*)\)\s*$")

# Applied in this order, each only to text holding its character (every match holds it). None of
# them matches whitespace or puts any in, and \b sees whitespace as it sees the end of the text:
# so they can be applied word by word (tests/findings/test_logs.py checks it against applying
# them to the whole text, then collapsing whitespace).
_NORMALIZERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("@", re.compile(r"<[^<>\s]*@[^<>\s]*>"), "<ADDRESS>"),
    ("[", re.compile(r"\b[\w.-]+\[(?:[0-9.]+|[0-9A-Fa-f:.]+|ipv6:[0-9A-Fa-f:.]+)\]"), "HOST[IP]"),
    (".", re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "IP"),
    ("", re.compile(r"\b[0-9A-F]{6,}\b|\b[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{12,}\b"), "QUEUEID"),
)


class _Words(dict[str, str]):
    """Words seen, normalized. Most words of reasons recur (`said:`, `450`, `Recipient`): the
    regexes run on new ones only (over the 48,201 deferred reasons of the 128 MiB benchmark log:
    0.29 s, against 0.75 s for the regexes over every reason). Emptied when full: the memory is
    bounded, the results are the same."""

    def __missing__(self, word: str) -> str:
        if len(self) >= MAX_WORDS:
            self.clear()
        norm = word
        for needs, pattern, replacement in _NORMALIZERS:
            if needs in norm:
                norm = pattern.sub(replacement, norm)
        self[word] = norm
        return norm


MAX_WORDS = 8192
_WORDS = _Words()


def normalize_reason(reason: str) -> str:
    """A reason with addresses, hosts, IP addresses and queue IDs replaced, so alike ones group."""
    return " ".join(map(_WORDS.__getitem__, reason.split()))


def classify(line: LogLine, source: str = PROBLEM, reason: str | None = None) -> LogKind | None:
    """The first known kind whose regex matches the line's message (a delivery's: its reason,
    `reason` when the caller has it already), or None."""
    msg = line.message if reason is None else reason
    if source == DELIVERY and reason is None:
        m = _STATUS.search(msg)
        msg = m.group(3) if m else msg
    for kind in _BY_SOURCE[source]:
        if kind.regex.search(msg):
            return kind
    return None


def reject_class(text: str) -> str:
    """`<a@b>: Relay access denied` -> `Relay access denied`; RBLs by list: `blocked using X`."""
    text = _LEAD.sub("", text.strip())
    m = _BLOCKED.search(text)
    if m:
        return f"blocked using {m.group(1)}"
    return normalize_reason(text)


@dataclass
class Seen:
    """One explained kind: how many lines, the first one (verbatim), and whether to escalate."""

    code: str
    count: int
    first: str
    first_stamp: str
    last_stamp: str
    escalated: bool = False


@dataclass
class Explainer:
    """Counts what the scan hands it; `data()` is plain data for the logs section."""

    seen: dict[str, Seen] = field(default_factory=dict)
    rejects: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    reject_total: int = 0
    failures: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    failure_totals: dict[str, int] = field(default_factory=lambda: {"deferred": 0, "bounced": 0})
    sent: int = 0
    other: int = 0

    def take(self, line: LogLine, source: str = PROBLEM, reason: str | None = None) -> None:
        kind = classify(line, source, reason)
        if kind is None:
            return
        s = self.seen.get(kind.code)
        if s is None:
            s = self.seen[kind.code] = Seen(kind.code, 0, line.text, line.stamp, line.stamp)
        s.count += 1
        s.last_stamp = line.stamp
        if kind.escalate is not None and not s.escalated and kind.escalate.search(line.message):
            s.escalated = True

    def take_reject(self, line: LogLine) -> None:
        m = _REJECT.search(line.message)
        if m is None:
            return
        self.reject_total += 1
        stage, code, dsn, text, _sender, rcpt = m.groups()
        key = (reject_class(text), f"{code} {dsn}" if dsn else code)
        entry = self._group(self.rejects, key, line, [0, line.text, {}, stage])
        if entry is None:
            return
        entry[0] += 1
        domain = (rcpt or "").rpartition("@")[2].lower()
        if domain and (domain in entry[2] or len(entry[2]) < MAX_DOMAINS):
            entry[2][domain] = entry[2].get(domain, 0) + 1

    def take_delivery(self, line: LogLine) -> None:
        m = _STATUS.search(line.message)
        if m is None:
            return
        dsn, status, reason = m.groups()
        self.failure_totals[status] += 1
        self.take(line, DELIVERY, reason)
        entry = self._group(self.failures, (status, normalize_reason(reason)), line, [0, line.text, dsn])
        if entry is not None:
            entry[0] += 1

    def _group(
        self, groups: dict[tuple[str, str], list[Any]], key: tuple[str, str], line: LogLine, new: list[Any]
    ) -> list[Any] | None:
        entry = groups.get(key)
        if entry is None:
            if len(self.rejects) + len(self.failures) >= MAX_GROUPS:
                self.other += 1
                return None
            entry = groups[key] = new
        return entry

    def data(self) -> dict[str, Any]:
        explained = [
            {
                "code": s.code,
                "count": s.count,
                "first": s.first,
                "first_stamp": s.first_stamp,
                "last_stamp": s.last_stamp,
                "escalated": s.escalated,
            }
            for s in sorted(self.seen.values(), key=lambda s: _RANK[s.code])
        ]
        rejects = sorted(self.rejects.items(), key=lambda kv: (-kv[1][0], kv[0]))
        failures = sorted(self.failures.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return {
            "explained": explained,
            "rejects": [
                {
                    "reason": k[0],
                    "reply": k[1],
                    "count": v[0],
                    "example": v[1],
                    "stage": v[3],
                    "domains": [
                        {"domain": d, "count": n}
                        for d, n in sorted(v[2].items(), key=lambda dn: (-dn[1], dn[0]))
                    ],
                }
                for k, v in rejects
            ],
            "reject_total": self.reject_total,
            "failures": [
                {"status": k[0], "reason": k[1], "count": v[0], "dsn": v[2], "example": v[1]}
                for k, v in failures
            ],
            "deferred_total": self.failure_totals["deferred"],
            "bounced_total": self.failure_totals["bounced"],
            "sent_total": self.sent,
            "summary_other": self.other,
        }
