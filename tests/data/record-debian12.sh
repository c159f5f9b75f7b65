#!/bin/bash
# Record real outputs of the troubled test Postfix (tests/integration/setup-postfix.sh) for the
# parser unit tests. Run as root on a machine where that Postfix runs; commit the result.
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)/debian12
mkdir -p "$out"
export LC_ALL=C
postconf -n > "$out/postconf-n.txt" 2>/dev/null
postconf -nf > "$out/postconf-nf.txt" 2> "$out/postconf-nf.stderr.txt"
postconf -d > "$out/postconf-d.txt" 2>/dev/null
postconf -M > "$out/postconf-M.txt"
postconf -Mf > "$out/postconf-Mf.txt"
postconf -P > "$out/postconf-P.txt"
postconf -m > "$out/postconf-m.txt"
postconf -l > "$out/postconf-l.txt"
ldd /usr/lib/postfix/sbin/smtpd > "$out/ldd-smtpd.txt"
cp /proc/net/tcp "$out/proc-net-tcp.txt"
cp /proc/net/tcp6 "$out/proc-net-tcp6.txt" 2>/dev/null || : > "$out/proc-net-tcp6.txt"
cp "$(postconf -h meta_directory)/postfix-files" "$out/postfix-files"
