"""Generate a large, realistic Postfix mail log (classic syslog format) for the log benchmarks.

Usage: python benchmarks/logs/make_log.py [SIZE_MIB] [OUT]   (default 1024 MiB into
benchmarks/data/mail.log, plus OUT.gz when --gzip is given). Deterministic (fixed seed).
The mix follows a busy relay: smtpd sessions, cleanup, qmgr, smtp deliveries (sent/deferred,
remote replies that contain "error:"), NOQUEUE rejects, reject_warning lines, ~0.5% real
warnings/errors, and a known queue ID (TRACE_ID below) in the middle for the trace benchmark.
"""

from __future__ import annotations

import gzip
import os
import random
import sys
from datetime import datetime, timedelta

TRACE_ID = "4F9D21A0C3B"

WARNINGS = [
    "warning: hostname {host} does not resolve to address {ip}: Name or service not known",
    "warning: {host}[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    (
        "warning: hash:/etc/postfix/transport is unavailable. open database "
        "/etc/postfix/transport.db: No such file or directory"
    ),
    (
        "warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while reading:"
        "../ssl/record/rec_layer_s3.c:308:"
    ),
    "error: unsupported dictionary type: mysql",
    "warning: non-SMTP command from {host}[{ip}]: GET / HTTP/1.1",
]

REMOTE = [
    (
        "host mx.{dom}[{ip}] said: 450 4.2.0 <{user}@{dom}>: Recipient address rejected: "
        "Greylisted, see http://postgrey.schweikert.ch/help/{dom}.html (in reply to RCPT TO command)"
    ),
    (
        "host mx.{dom}[{ip}] said: 421 4.7.0 Temporary System Problem. error: try again later "
        "(in reply to end of DATA command)"
    ),
    "connect to mx.{dom}[{ip}]:25: Connection timed out",
]


def qid(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(11))


def generate(size: int, out: str) -> None:
    rng = random.Random(20261121)
    t = datetime(2026, 11, 14, 0, 0, 0)
    doms = [f"example{n}.com" for n in range(200)] + [f"mail{n}.example.net" for n in range(50)]
    pid = 1000
    written = 0
    traced = False
    with open(out, "w", encoding="ascii", buffering=1 << 20) as fh:
        while written < size:
            t += timedelta(milliseconds=rng.randint(5, 400))
            stamp = f"{t:%b} {t.day:2d} {t:%H:%M:%S}"  # syslog pads the day with a space
            pid = 1000 + (pid + 7) % 30000
            dom = rng.choice(doms)
            ip = f"192.0.2.{rng.randint(1, 254)}"
            host = f"mail{rng.randint(1, 99)}.{dom}"
            user = rng.choice(["anna", "bob", "info", "sales", "j.doe", "noreply"])
            q = qid(rng)
            if not traced and written > size // 2:
                q, traced = TRACE_ID, True
            pre = f"{stamp} mx1 postfix/"
            lines = [
                f"{pre}smtpd[{pid}]: connect from {host}[{ip}]",
                f"{pre}smtpd[{pid}]: {q}: client={host}[{ip}]",
                f"{pre}cleanup[{pid + 1}]: {q}: message-id=<{qid(rng).lower()}@{dom}>",
                (
                    f"{pre}qmgr[999]: {q}: from=<{user}@{dom}>, size={rng.randint(900, 90000)}, "
                    "nrcpt=1 (queue active)"
                ),
                (
                    f"{pre}smtpd[{pid}]: disconnect from {host}[{ip}] ehlo=1 mail=1 rcpt=1 data=1 "
                    "quit=1 commands=5"
                ),
            ]
            r = rng.random()
            rdom = rng.choice(doms)
            if r < 0.7:
                lines.append(
                    f"{pre}smtp[{pid + 2}]: {q}: to=<{user}@{rdom}>, relay=mx.{rdom}[{ip}]:25, "
                    f"delay=0.{rng.randint(10, 99)}, delays=0.1/0/0.2/0.1, dsn=2.0.0, "
                    f"status=sent (250 2.0.0 Ok: queued as {qid(rng)})"
                )
                lines.append(f"{pre}qmgr[999]: {q}: removed")
            else:
                why = rng.choice(REMOTE).format(dom=rdom, ip=ip, user=user)
                lines.append(
                    f"{pre}smtp[{pid + 2}]: {q}: to=<{user}@{rdom}>, relay=mx.{rdom}[{ip}]:25, "
                    f"delay=3, delays=0.1/0/3/0, dsn=4.0.0, status=deferred ({why})"
                )
            if rng.random() < 0.05:
                lines.append(
                    f"{pre}smtpd[{pid}]: NOQUEUE: reject_warning: RCPT from {host}[{ip}]: 450 4.7.1 "
                    f"Client host rejected: cannot find your hostname, [{ip}]; "
                    f"from=<{user}@{dom}> to=<x@{rdom}> proto=ESMTP helo=<{host}>"
                )
            if rng.random() < 0.005:
                w = rng.choice(WARNINGS).format(host=host, ip=ip)
                lines.append(f"{pre}smtpd[{pid}]: {w}")
            text = "\n".join(lines) + "\n"
            fh.write(text)
            written += len(text)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    size = int(args[0]) if args else 1024
    here = os.path.dirname(os.path.abspath(__file__))
    out = args[1] if len(args) > 1 else os.path.join(here, "..", "data", "mail.log")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    generate(size * 1024 * 1024, out)
    if "--gzip" in sys.argv:
        with open(out, "rb") as src, gzip.open(out + ".gz", "wb", compresslevel=6) as dst:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                dst.write(block)
    print(out)


if __name__ == "__main__":
    main()
