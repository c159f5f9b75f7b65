"""Write N MB of realistic Postfix log text (many distinct clients, domains, users, queue IDs)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

WORDS = ["lager", "j.meier", "anna.schulz", "info", "sales", "buchhaltung", "k.wolf", "support"]
DOMAINS = [
    "bluefinch-logistics.de",
    "kranich-hof.eu",
    "mail.spedition-nord.de",
    "example.org",
    "gmail.com",
    "kunde{}.de",
    "shop{}.com",
    "lieferant{}.co.uk",
    "partner{}.net",
]


def domain(rng: random.Random) -> str:
    return rng.choice(DOMAINS).format(rng.randrange(3000))


def client(rng: random.Random) -> str:
    ip = f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
    return f"host{rng.randrange(5000)}.{domain(rng)}[{ip}]"


def qid(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(11))


def lines(rng: random.Random):  # type: ignore[no-untyped-def]
    sec = 0
    while True:
        sec += 1
        ts = f"Nov 21 {sec // 3600 % 24:02d}:{sec // 60 % 60:02d}:{sec % 60:02d} mx1"
        q, pid = qid(rng), rng.randrange(1000, 99999)
        c = client(rng)
        frm = f"{rng.choice(WORDS)}@{domain(rng)}"
        to = f"{rng.choice(WORDS)}@{domain(rng)}"
        yield f"{ts} postfix/smtpd[{pid}]: connect from {c}"
        yield f"{ts} postfix/smtpd[{pid}]: {q}: client={c}, sasl_method=PLAIN, sasl_username=u{pid}"
        yield f"{ts} postfix/cleanup[{pid + 1}]: {q}: message-id=<{q}.{pid}@{domain(rng)}>"
        size = rng.randrange(900, 99999)
        yield f"{ts} postfix/qmgr[812]: {q}: from=<{frm}>, size={size}, nrcpt=1 (queue active)"
        yield (
            f"{ts} postfix/smtp[{pid + 2}]: {q}: to=<{to}>, relay=mx.{domain(rng)}"
            f"[10.20.{rng.randrange(256)}.{rng.randrange(256)}]:25, delay=0.{rng.randrange(99)}, "
            f"delays=0.01/0/0.02/0.1, dsn=4.4.1, status=deferred (connect to mx.{domain(rng)}"
            f"[2001:db8:{rng.randrange(65535):x}::25]:25: Connection refused)"
        )
        yield (
            f"{ts} postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from {c}: 554 5.7.1 <{to}>: "
            f"Relay access denied; from=<{frm}> to=<{to}> proto=ESMTP helo=<{domain(rng)}>"
        )
        yield f"{ts} postfix/smtpd[{pid}]: disconnect from {c} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4"


def sender_lines(rng: random.Random):  # type: ignore[no-untyped-def]
    """A server bouncing mail of ever new sender domains (a spam run): a domain, and its
    registrable label as a bare word, learned per message; nothing repeats but the shape."""
    i = 0
    while True:
        i += 1
        ts = f"Nov 21 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} mx1"
        q = qid(rng)
        name = f"offer{i}x{rng.randrange(10**6)}"
        dom = rng.choice([f"{name}.com", f"mail.{name}.co.uk", f"{name}-shop.de"])
        size = rng.randrange(900, 99999)
        yield f"{ts} postfix/qmgr[812]: {q}: from=<news@{dom}>, size={size}, nrcpt=1 (queue active)"
        yield (
            f"{ts} postfix/smtp[{rng.randrange(1000, 99999)}]: {q}: to=<{rng.choice(WORDS)}@kranich-hof.eu>, "
            f"relay=none, delay=1, status=bounced (host said: 550 {name.upper()} ESMTP rejected)"
        )


def main() -> None:
    size_mb = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "benchmarks/data/anonymize-10mb.log")
    out.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(42)
    target = int(size_mb * 1_000_000)
    chunks, total = [], 0
    for line in lines(rng):
        chunks.append(line + "\n")
        total += len(line) + 1
        if total >= target:
            break
    out.write_text("".join(chunks))
    print(f"wrote {total} bytes to {out}")


if __name__ == "__main__":
    main()
