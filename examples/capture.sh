#!/bin/bash
# Re-capture the example snapshot from the deliberately troubled test Postfix on this machine.
# Needs root and tests/integration/setup-postfix.sh already run. THIS EMPTIES THAT POSTFIX'S
# QUEUE (it is a test server): the example should show only its own story. Afterwards:
#   UPDATE_EXAMPLES=1 python -m pytest tests/test_examples.py --snapshot-update
# and review the report diff as its reader would.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
dir="$here/debian12-troubled"
python=${PYTHON:-python3}
pcap=/tmp/postfinger-example/smtp.pcap   # the path the snapshot records (replay never opens it)

postsuper -d ALL >/dev/null 2>&1 || true
sleep 1
start=$(date -u +%Y-%m-%dT%H:%M:%S)

mkdir -p "$(dirname "$pcap")"
tcpdump -i lo -s 0 -w "$pcap" 'tcp port 25 or tcp port 2525' >/dev/null 2>&1 &
tcpdump_pid=$!
sleep 1

# Local submission: accepted, then deferred (transport.db is missing: address resolver failure).
printf 'From: Jens Meier <j.meier@bluefinch-logistics.de>\nTo: partner@kunde-nord.de\nSubject: Lieferschein 4711\nMessage-ID: <lieferschein-4711@bluefinch-logistics.de>\n\nAnbei der Lieferschein.\n' \
    | sendmail -f j.meier@bluefinch-logistics.de partner@kunde-nord.de
printf 'Subject: Inventur\n\nBitte bis Freitag.\n' \
    | sendmail -f lager@bluefinch-logistics.de info@kranich-hof.eu
# SMTP: the recipient lookups fail (mysql: map without postfix-mysql, missing transport.db).
swaks --server 127.0.0.1 --from anna.schulz@kranich-hof.eu --to j.meier@bluefinch-logistics.de \
      --header "Subject: Termin" >/dev/null 2>&1 || true
# The second smtpd on 2525 does not trust 127.0.0.1: a relay attempt.
swaks --server 127.0.0.1 --port 2525 --from newsletter@mailer.example.net --to ceo@outside-corp.com \
      >/dev/null 2>&1 || true
sleep 3
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true

rm -rf "$dir/snapshot"
mkdir -p "$dir"
echo "$start" > "$dir/since"
cd "$repo"
"$python" -m postfinger_py --all --probe --capture "$dir/snapshot" --no-anonymize \
    --since "$start" --trace '<lieferschein-4711@bluefinch-logistics.de>' --pcap "$pcap" >/dev/null || true
rm -rf "$(dirname "$pcap")"
echo "captured $dir/snapshot (log window since $start)"
