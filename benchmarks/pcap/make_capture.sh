#!/bin/sh
# Make the benchmark capture: 50,000 SMTP sessions, smtp-source against smtp-sink on loopback.
# Usage (as root): benchmarks/pcap/make_capture.sh [SESSIONS] [PORT]
# Writes benchmarks/data/smtp-sessions.pcap (~300 MB for 50,000 sessions; git-ignored).
set -eu
SESSIONS=${1:-50000}
PORT=${2:-2630}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$HERE/benchmarks/data/smtp-sessions.pcap"
mkdir -p "$HERE/benchmarks/data"
smtp-sink -u nobody -c 127.0.0.1:$PORT 256 >/dev/null 2>&1 &
SINK=$!
tcpdump -i lo -s 0 -B 65536 -w "$OUT" "tcp port $PORT" 2>"$OUT.tcpdump.log" &
DUMP=$!
sleep 1
# -s 20 parallel sessions, -m messages, one message per session, 4500-byte messages
smtp-source -s 20 -m "$SESSIONS" -l 4500 -f bench-sender@pcap-bench.example \
    -t bench-rcpt@pcap-bench.example 127.0.0.1:$PORT
sleep 2
kill "$DUMP"; wait "$DUMP" 2>/dev/null || true
kill "$SINK"; wait "$SINK" 2>/dev/null || true
cat "$OUT.tcpdump.log" | tail -3
ls -l "$OUT"
