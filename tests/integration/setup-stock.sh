#!/bin/bash
# A second Postfix configuration exactly as Debian's package sets one up ("Internet Site"), in
# /etc/postfix-stock, for the "no false alarms" test: postfinger check -c /etc/postfix-stock must
# report nothing above note level. Needs root; run after setup-postfix.sh (Postfix installed).
#
# It follows the package's own steps rather than a hand-written main.cf: main.cf.debian, plus
# main.cf.tls when the snakeoil key exists, plus the postconf -e lines of postfix.postinst for an
# Internet Site, master.cf.dist, and the jail copied by /usr/lib/postfix/configure-instance.sh
# (what Debian's init script and systemd unit run before every start). Only the queue and data
# directories differ, so that this instance never shares state with the troubled test site.
# It is not started (the troubled site owns port 25); the checks read its files.
set -euo pipefail

STOCK=/etc/postfix-stock
QUEUE=/var/spool/postfix-stock
DATA=/var/lib/postfix-stock

[ "$(id -u)" = 0 ] || { echo "setup-stock: needs root" >&2; exit 1; }
command -v postconf >/dev/null || { echo "setup-stock: run setup-postfix.sh first" >&2; exit 1; }

# ssl-cert's own postinst makes the snakeoil pair; Debian's postfix then turns TLS on with it.
if [ ! -f /etc/ssl/private/ssl-cert-snakeoil.key ] && command -v make-ssl-cert >/dev/null; then
    make-ssl-cert generate-default-snakeoil
fi

rm -rf "$STOCK" "$QUEUE" "$DATA"
mkdir -p "$STOCK" "$QUEUE" "$DATA"
chown postfix:postfix "$DATA"
cp /usr/share/postfix/main.cf.debian "$STOCK/main.cf"
if [ -f /etc/ssl/private/ssl-cert-snakeoil.key ]; then
    cat /usr/share/postfix/main.cf.tls >> "$STOCK/main.cf"
fi
cp /usr/share/postfix/master.cf.dist "$STOCK/master.cf"
cp /etc/postfix/dynamicmaps.cf "$STOCK/" 2>/dev/null || true
[ -d /etc/postfix/dynamicmaps.cf.d ] && cp -r /etc/postfix/dynamicmaps.cf.d "$STOCK/"
cp /etc/postfix/postfix-files "$STOCK/" 2>/dev/null || true
[ -d /etc/postfix/postfix-files.d ] && cp -r /etc/postfix/postfix-files.d "$STOCK/"

pc() { postconf -c "$STOCK" -e "$@"; }
# postfix.postinst, in its order, with the answers of an Internet Site named stock.heron-mail.test.
pc "smtpd_relay_restrictions=permit_mynetworks permit_sasl_authenticated defer_unauth_destination"
pc "myhostname=stock.heron-mail.test"
pc "alias_maps=hash:/etc/aliases"
pc "alias_database=hash:/etc/aliases"
pc "myorigin=/etc/mailname"
pc "mydestination=\$myhostname, stock.heron-mail.test, localhost.heron-mail.test, localhost"
pc "relayhost="
pc "mynetworks=127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128"
pc "mailbox_size_limit=0"
pc "recipient_delimiter=+"
pc "inet_interfaces=all"
pc "inet_protocols=all"
# The one deliberate difference: its own queue and data directories.
pc "queue_directory=$QUEUE" "data_directory=$DATA"

# /etc/aliases and its index, as newaliases leaves them on a Debian system.
[ -f /etc/aliases ] || printf 'postmaster:    root\n' > /etc/aliases
postalias hash:/etc/aliases

# The queue directories (what "postfix start" creates) and the jail (what Debian runs before it).
postfix -c "$STOCK" set-permissions >/dev/null 2>&1 || true
postfix -c "$STOCK" post-install create-missing >/dev/null 2>&1 || true
MAIL_CONFIG="$STOCK" /usr/lib/postfix/configure-instance.sh - >/dev/null
# post-install records config_directory; a stock main.cf does not have it.
postconf -c "$STOCK" -X config_directory
: > /var/log/postfix-stock.log
echo "setup-stock: Debian's stock configuration in $STOCK (queue $QUEUE), not started"
