#!/bin/bash
# Re-capture the example snapshot from the deliberately troubled Postfix on this machine.
# Needs root and tests/integration/setup-postfix.sh already run (it is NOT run here, so a
# developer's running Postfix is not restarted). Then regenerate the report with:
#   UPDATE_EXAMPLES=1 python -m pytest tests/test_examples.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
name=debian12-troubled
python=${PYTHON:-python3}

# Some traffic, so that the log, the queue and the trace have a story to tell: mail to a remote
# domain (deferred: relayhost has no listener), to a local user, and a refused relay attempt.
swaks --server 127.0.0.1 --from j.meier@bluefinch-logistics.de --to partner@kunde-nord.de \
      --header "Subject: Lieferschein 4711" --header "Message-ID: <lieferschein-4711@bluefinch-logistics.de>" \
      >/dev/null 2>&1 || true
swaks --server 127.0.0.1 --from anna.schulz@kranich-hof.eu --to j.meier@bluefinch-logistics.de >/dev/null 2>&1 || true
swaks --server 127.0.0.1 --port 2525 --from spam@unknown.example.net --to victim@outside-corp.com >/dev/null 2>&1 || true
sleep 2

rm -rf "$here/$name/snapshot"
mkdir -p "$here/$name"
cd "$repo"
"$python" -m postfinger_py --all --capture "$here/$name/snapshot" \
    --trace lieferschein-4711@bluefinch-logistics.de --since all --no-anonymize >/dev/null || true
echo "captured $here/$name/snapshot"
