"""A real Postfix queue of N deferred messages (default 100,000) in a separate Postfix instance.

The instance has its own config_directory, queue_directory and data_directory under DIR
(default /var/tmp/postfinger-qbench), no inet listeners, and its own master running, so that
showq answers `postqueue -c DIR/etc -j` exactly as on a live server. The shared Postfix's queue and
configuration are never touched: `postfix -c`, `sendmail -C` and `postqueue -c` run as root, which
needs no alternate_config_directories entry and no postmulti.

How the queue is made (every queue file is written by Postfix or is a byte-for-byte copy of one):
1. TEMPLATES messages (default 1,000) are submitted with `sendmail -C`: senders from 80 sender
   domains (some the null sender), 1 to 6 recipients from ~600 recipient domains (organisations
   with several subdomains, so -p has parents to show), both skewed the way real queues are (a few
   domains hold most mail), bodies of 0.3 to 30 KB. The instance's pickup, cleanup and qmgr queue
   them and its smtp or retry(8) transport defers every recipient: relayhost is a loopback port
   where nothing listens, and some domains go to `retry:` with a greylisting or rate-limit text,
   so delay reasons differ as on a real server.
2. The deferred templates are then cloned into the deferred queue until there are N messages:
   each clone is a template's queue file and defer log with a fresh queue ID (same length, also
   in its Received: and Message-Id: headers), different recipient and sender local parts (same
   length, so no record offset moves) and an arrival time spread over the last 5 days (the T record
   and create_time, same digit count). Templates get spread arrival times too.
3. Every deferred file's mtime (Postfix's next-retry time) is set 1-2 days ahead and
   queue_run_delay / backoff times are a day or more, so qmgr never picks them up again: the
   queue stays as built while benchmarks run (unless someone runs `postqueue -c DIR/etc -f`).

Usage (root):
  python benchmarks/queue/build_queue.py build [-n N] [--templates K] [--dir DIR]
  python benchmarks/queue/build_queue.py start|stop|status|remove [--dir DIR]
`remove` stops the instance and deletes DIR. After a reboot, `start` brings the same queue back.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path("/var/tmp/postfinger-qbench")  # not below /work or /root: showq runs as postfix
MARK = "qsh-helper.example"
DEAD_RELAY = "[127.0.0.1]:2599"  # nothing listens there (the shared instance uses it the same way)
RETRY_REASONS = (
    "4.7.1 Greylisted, please try again later",
    "4.7.0 Too many connections from your IP, slow down",
    "4.3.2 Service shutting down, closing transmission channel",
)
SEED = 20261121

MAIN_CF = """\
# Benchmark instance of postfinger-py (benchmarks/queue/build_queue.py); remove with
# `build_queue.py remove`. No inet listeners; relayhost has no listener: all mail stays deferred.
compatibility_level = 3.6
queue_directory = {spool}
data_directory = {lib}
syslog_name = postfix-qbench
maillog_file = {base}/postfix.log
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = qbench.{mark}
mydomain = {mark}
myorigin = $mydomain
mydestination =
relayhost = {relay}
transport_maps = texthash:{conf}/transport
smtp_connection_cache_on_demand = no
queue_run_delay = 1d
minimal_backoff_time = 1d
maximal_backoff_time = 2d
maximal_queue_lifetime = 30d
bounce_queue_lifetime = 30d
default_destination_concurrency_limit = 5
"""

# Only unix-domain services, none chrooted (the queue directory has no etc/ for a chroot).
MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
postlog   unix-dgram n  -       n       -       1       postlogd
"""

_WORDS = (
    "acme alpine amber aster atlas aurora basalt birch bluebell boreal cedar cobalt comet coral "
    "cypress delta ember falcon fern fjord garnet glacier granite harbor hazel heron indigo iris "
    "juniper kestrel lagoon larch linden lotus lynx maple marble meadow mistral nimbus north oak "
    "obsidian onyx orchid osprey pebble pine plover quartz raven reed river rowan saffron sage "
    "sequoia sierra silver sparrow spruce summit swift tamarack thistle tundra umber valley "
    "vertex willow wren yarrow zephyr"
).split()
_HOSTS = ("mail", "mx", "mx1", "mx2", "in", "smtp", "eu", "us", "mailin", "lists", "corp", "hq")
_TLDS = ("", "", "", "eu.", "co.uk.", "net.")  # levels below MARK


def paths(base: Path) -> tuple[Path, Path, Path]:
    return base / "etc", base / "spool", base / "lib"


def run(argv: Sequence[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), text=True, capture_output=True, **kw)  # type: ignore


def zipf_weights(n: int, s: float) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


def domain_pools(rng: random.Random) -> tuple[list[str], list[str]]:
    """Recipient domains (organisations with subdomains) and sender domains, all under MARK."""
    rdoms: list[str] = []
    for i in range(160):
        org = f"{rng.choice(_WORDS)}{i}.{rng.choice(_TLDS)}{MARK}"
        subs = rng.choice((0, 0, 1, 2, 3, 5, 8))
        rdoms.append(org)
        hosts = rng.sample(_HOSTS, min(subs, len(_HOSTS)))
        rdoms += [f"{h}.{org}" for h in hosts]
    sdoms = [f"{rng.choice(_WORDS)}-s{i}.{rng.choice(_TLDS)}{MARK}" for i in range(80)]
    rng.shuffle(rdoms)
    return rdoms, sdoms


def write_config(base: Path, rdoms: Sequence[str], rng: random.Random) -> None:
    conf, spool, lib = paths(base)
    for d in (conf, spool, lib):
        d.mkdir(parents=True)
    os.chmod(base, 0o755)
    os.chmod(spool, 0o755)
    shutil.chown(lib, "postfix")  # master.lock lives there
    (conf / "main.cf").write_text(
        MAIN_CF.format(spool=spool, lib=lib, base=base, conf=conf, mark=MARK, relay=DEAD_RELAY)
    )
    (conf / "master.cf").write_text(MASTER_CF)
    # A fifth of the recipient domains get a retry:(8) transport: deferred with their own text.
    lines = [f"{d} retry:{rng.choice(RETRY_REASONS)}" for d in rdoms if rng.random() < 0.2]
    (conf / "transport").write_text("\n".join(lines) + "\n")


def postfix(base: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(["postfix", "-c", str(paths(base)[0]), *args])


def start(base: Path) -> None:
    spool = paths(base)[1]
    log = base / "postfix.log"
    log.touch()
    shutil.chown(log, "postfix")  # postsuper, run as postfix by `postfix check`, logs there too
    if not (spool / "pid").is_dir():
        # Creates the queue's subdirectories with Postfix's modes. Only the first time: later it
        # would also have postsuper rename every cloned queue file to match its inode number.
        res = postfix(base, "check")
        if res.returncode:
            sys.exit(f"postfix -c {paths(base)[0]} check failed: {res.stderr.strip()}")
    if postfix(base, "status").returncode == 0:
        return
    res = postfix(base, "start")
    if res.returncode:
        sys.exit(f"postfix -c {paths(base)[0]} start failed: {res.stderr.strip()}")
    for _ in range(50):
        if listing(base) is not None:
            return
        time.sleep(0.2)
    sys.exit("the benchmark instance started but showq does not answer `postqueue -j`")


def stop(base: Path) -> None:
    if paths(base)[0].is_dir() and postfix(base, "status").returncode == 0:
        postfix(base, "stop")
        for _ in range(50):
            if postfix(base, "status").returncode != 0:
                return
            time.sleep(0.2)


def listing(base: Path) -> list[dict[str, Any]] | None:
    """`postqueue -j` through showq; None when showq did not answer."""
    res = run(["postqueue", "-c", str(paths(base)[0]), "-j"])
    if res.returncode or "mail system is down" in res.stderr.lower():
        return None
    return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]


def filler(rng: random.Random, size: int) -> str:
    words: list[str] = []
    total = 0
    while total < size:
        line = " ".join(rng.choice(_WORDS) for _ in range(11))
        words.append(line)
        total += len(line) + 1
    return "\n".join(words)


def submit_templates(
    base: Path, k: int, rdoms: Sequence[str], sdoms: Sequence[str], rng: random.Random
) -> None:
    rw = zipf_weights(len(rdoms), 1.1)
    sw = zipf_weights(len(sdoms), 1.0)
    conf = str(paths(base)[0])
    for t in range(k):
        n_rcpt = rng.choices((1, 2, 3, 4, 6), weights=(78, 12, 5, 3, 2))[0]
        rcpts = [f"rcp{t:05d}{j:02d}@{rng.choices(rdoms, rw)[0]}" for j in range(n_rcpt)]
        sender = "<>" if rng.random() < 0.04 else f"snd{t:05d}@{rng.choices(sdoms, sw)[0]}"
        size = int(min(30000, rng.lognormvariate(7.5, 1.0)))
        body = f"From: {sender}\nTo: {rcpts[0]}\nSubject: {MARK} queue benchmark {t}\n\n{filler(rng, size)}\n"
        res = subprocess.run(
            ["sendmail", "-C", conf, "-f", sender, "--", *rcpts], input=body.encode(), capture_output=True
        )
        if res.returncode:
            sys.exit(f"sendmail -C {conf} failed: {res.stderr.decode().strip()}")


def wait_deferred(base: Path, k: int, timeout: float = 300.0) -> list[dict[str, Any]]:
    """Wait until all K templates sit in the deferred queue with a delay reason each."""
    deadline = time.time() + timeout
    msgs: list[dict[str, Any]] = []
    while time.time() < deadline:
        msgs = listing(base) or []
        done = [
            m
            for m in msgs
            if m["queue_name"] == "deferred" and all(r.get("delay_reason") for r in m["recipients"])
        ]
        if len(done) == k and len(msgs) == k:
            return done
        time.sleep(1)
    sys.exit(f"only {len(msgs)} of {k} templates were deferred within {timeout:.0f} s")


_T_RECORD = re.compile(rb"T[\x00-\x7f](\d{10}) ")


def clone_all(base: Path, n: int, templates: Sequence[dict[str, Any]], rng: random.Random) -> None:
    spool = paths(base)[1]
    now = int(time.time())
    used = set()
    tpls = []
    for m in templates:
        qid = str(m["queue_id"])
        qfile = spool / "deferred" / qid[0] / qid
        dfile = spool / "defer" / qid[0] / qid
        data, dlog = qfile.read_bytes(), dfile.read_bytes()
        tm = _T_RECORD.search(data)
        assert tm, f"{qfile}: no T record"
        tokens = sorted(set(re.findall(rb"(?:rcp|snd)\d{5}(?:\d\d)?(?=@)", data)))
        tpls.append((qid.encode(), data, dlog, tm.group(1), tokens))
        used.add(qid)
    st = os.stat(spool / "deferred")
    uid, gid = st.st_uid, st.st_gid

    def new_qid(length: int) -> str:
        while True:
            q = "".join(rng.choice("0123456789ABCDEF") for _ in range(length))
            if q not in used:
                used.add(q)
                return q

    def age() -> int:  # most mail deferred recently, a tail up to the 5-day lifetime
        return int(min(rng.expovariate(1 / 86400.0), 5 * 86400 - 60))

    made = set()

    def write(path: Path, content: bytes, mode: int, mtime: float) -> None:
        if path.parent not in made:  # Postfix's one-level hash: the first character of the ID
            path.parent.mkdir(mode=0o700, exist_ok=True)
            shutil.chown(path.parent, uid, gid)
            made.add(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, content)
            os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)  # 0700: the execute bit marks a finished queue file
        finally:
            os.close(fd)
        os.utime(path, (mtime, mtime))

    def swap(blob: bytes, pairs: Sequence[tuple[bytes, bytes]]) -> bytes:
        for old, new in pairs:
            blob = blob.replace(old, new)
        return blob

    start_t = time.time()
    # Templates first (rewritten in place, same IDs), then clones up to N.
    for i in range(n):
        qid_b, data, dlog, secs, tokens = tpls[i % len(tpls)] if i < len(tpls) else rng.choice(tpls)
        arrival = str(now - age()).encode()
        assert len(arrival) == len(secs)
        pairs = [(secs, arrival)]
        if i < len(tpls):
            qid = qid_b.decode()
            for path in (spool / "deferred" / qid[0] / qid, spool / "defer" / qid[0] / qid):
                path.unlink()
        else:
            qid = new_qid(len(qid_b))
            pairs.append((qid_b, qid.encode()))
            pairs += [
                (tok, tok[:3] + b"%0*d" % (len(tok) - 3, rng.randrange(10 ** (len(tok) - 3))))
                for tok in tokens
            ]
        retry_at = now + 86400 + rng.randrange(86400)
        write(spool / "deferred" / qid[0] / qid, swap(data, pairs), 0o700, retry_at)
        write(spool / "defer" / qid[0] / qid, swap(dlog, pairs[2:]), 0o600, retry_at)
        if i and i % 20000 == 0:
            print(f"  {i} messages written", flush=True)
    print(f"wrote {n} deferred queue files and defer logs in {time.time() - start_t:.1f} s")


def build(base: Path, n: int, k: int) -> None:
    if os.geteuid() != 0:
        sys.exit("run as root: the queue files belong to the postfix user")
    remove(base)
    rng = random.Random(SEED)
    rdoms, sdoms = domain_pools(rng)
    write_config(base, rdoms, rng)
    start(base)
    t0 = time.time()
    submit_templates(base, k, rdoms, sdoms, rng)
    templates = wait_deferred(base, k)
    print(
        f"{k} template messages submitted with sendmail -C and deferred by the instance in "
        f"{time.time() - t0:.1f} s"
    )
    clone_all(base, n, templates, rng)
    check = listing(base) or []
    deferred = sum(1 for m in check if m["queue_name"] == "deferred")
    rcpts = sum(len(m["recipients"]) for m in check)
    print(f"postqueue -c {paths(base)[0]} -j: {len(check)} messages, {deferred} deferred, {rcpts} recipients")
    if deferred != n or len(check) != n:
        sys.exit("the queue is not as built")


def remove(base: Path) -> None:
    stop(base)
    if base.exists():
        shutil.rmtree(base)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=("build", "start", "stop", "status", "remove"))
    p.add_argument("-n", type=int, default=100_000, help="deferred messages (default 100000)")
    p.add_argument("--templates", type=int, default=1000, help="messages really submitted")
    p.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"default {DEFAULT_DIR}")
    a = p.parse_args()
    base = a.dir.resolve()
    if a.action == "build":
        build(base, a.n, min(a.templates, a.n))
    elif a.action == "start":
        start(base)
    elif a.action == "stop":
        stop(base)
    elif a.action == "status":
        up = paths(base)[0].is_dir() and postfix(base, "status").returncode == 0
        msgs = listing(base) if up else None
        print(
            f"{base}: {'running' if up else 'not running'}"
            + (f", {len(msgs)} messages" if msgs is not None else "")
        )
    else:
        remove(base)


if __name__ == "__main__":
    main()
