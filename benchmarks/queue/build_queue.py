"""Build a separate Postfix instance's queue with N deferred messages (default 100,000).

The shared Postfix is never touched beyond one message of our own: we submit it, hold it, copy
its queue file (made by the real cleanup daemon) as a template and delete it. The benchmark
instance (its own config_directory and queue_directory under /var/tmp, no daemons
running, no listeners) then gets N copies with distinct queue IDs, senders, recipients and
arrival times spread over 6 days, in deferred/ with Postfix's one-level hash. Root only.

Usage: python benchmarks/queue/build_queue.py [N] [DIR]   (DIR default /var/tmp/postfinger-qbench)
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests" / "queue"))

import qbuild  # noqa: E402

SENDER = "sender000@sdom00.qsh-helper.example"
RCPT = "rcpt00000@rdom000.sub00.qsh-helper.example"


def template() -> bytes:
    ids = qbuild.build_hold_queue([(SENDER, [RCPT], 0)])
    try:
        return Path(qbuild.hold_path(ids[0])).read_bytes()
    finally:
        qbuild.delete(ids)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    # Not below /work or /root: showq drops privileges to mail_owner and must reach the spool.
    base = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/var/tmp/postfinger-qbench")
    if base.exists():
        shutil.rmtree(base)
    conf, spool, lib = base / "etc", base / "spool", base / "lib"
    for d in (conf, lib):
        d.mkdir(parents=True)
    os.chmod(base, 0o755)
    (conf / "main.cf").write_text(
        f"queue_directory = {spool}\ndata_directory = {lib}\ncompatibility_level = 3.6\n"
        "inet_interfaces = loopback-only\n"
    )
    shutil.copy("/etc/postfix/master.cf", conf / "master.cf")
    # The queue directories showq and qshape look at, with Postfix's owner and modes.
    for name in ("incoming", "active", "deferred", "hold", "maildrop", "defer", "bounce",
                 "corrupt", "pid", "private", "public", "saved", "trace", "flush"):
        (spool / name).mkdir(parents=True, mode=0o700)
        shutil.chown(spool / name, "postfix", "postdrop" if name == "maildrop" else "root")
    tpl = template()
    t_at = tpl.index(b"T") + 2  # C record first, then T: type byte, one length byte
    secs_len = len(tpl[t_at:].split(b" ")[0])
    deferred = spool / "deferred"
    rng = random.Random(42)
    now = int(time.time())
    owner = os.stat(spool / "active")
    uid, gid = owner.st_uid, owner.st_gid
    start = time.time()
    for i in range(n):
        qid = f"{i:05X}{rng.randrange(16**6):06X}"
        data = bytearray(tpl)
        s = f"sender{rng.randrange(1000):03d}@sdom{rng.randrange(40):02d}.qsh-helper.example"
        r = (f"rcpt{i % 100000:05d}@rdom{rng.randrange(400):03d}."
             f"sub{rng.randrange(30):02d}.qsh-helper.example")
        data = bytearray(bytes(data).replace(SENDER.encode(), s.encode()))
        data = bytearray(bytes(data).replace(RCPT.encode(), r.encode()))
        arrival = str(now - rng.randrange(6 * 86400)).encode()
        assert len(arrival) == secs_len
        data[t_at : t_at + secs_len] = arrival
        sub = deferred / qid[0]
        sub.mkdir(mode=0o700, exist_ok=True)
        path = sub / qid
        path.write_bytes(bytes(data))
        os.chmod(path, 0o700)
        os.chown(path, uid, gid)
    print(f"built {n} deferred messages in {base} in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
