#!/bin/bash
# Install Debian's Postfix (if needed) and configure it as a deliberately troubled site, then start it.
# Used by .ci/run, by examples/capture.sh and by developers. Needs root and apt. Only loopback is used.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v postconf >/dev/null || ! command -v swaks >/dev/null || ! command -v tcpdump >/dev/null \
        || ! command -v openssl >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    echo "postfix postfix/main_mailer_type select Internet Site" | debconf-set-selections
    echo "postfix postfix/mailname string mx1.bluefinch-logistics.de" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq postfix tcpdump swaks openssl >/dev/null
fi

postfix stop >/dev/null 2>&1 || true
echo mx1.bluefinch-logistics.de > /etc/mailname

# Start from Debian's shipped files so reruns are idempotent.
cp /usr/share/postfix/main.cf.debian /etc/postfix/main.cf 2>/dev/null || true
cp /etc/postfix/master.cf.proto /etc/postfix/master.cf

cat > /etc/postfix/virtual <<'V'
lager@bluefinch-logistics.de      j.meier
info@kranich-hof.eu               anna.schulz@kranich-hof.eu
@kranich-hof.eu                   j.meier@bluefinch-logistics.de
V
postmap hash:/etc/postfix/virtual
# The index is older than its source: someone edited virtual and forgot "postmap".
touch -d '-1 hour' /etc/postfix/virtual.db
# Postfix warns about a stale index only when the source is over 100 s old (dict_db.c: not while
# someone is still editing it); age it, so tests run right after this script see the warning.
touch -d '-30 min' /etc/postfix/virtual

# transport is referenced but its .db is never built: "No such file or directory" in the log.
cat > /etc/postfix/transport <<'T'
kranich-hof.eu      smtp:[127.0.0.1]:2599
T
rm -f /etc/postfix/transport.db

cat > /etc/postfix/sasl_passwd <<'S'
[smtp.relay-provider.net]:587    bluefinch-relay:S3cretPassw0rd!
S
chmod 600 /etc/postfix/sasl_passwd
# ... and its .db was never built (smtp_sasl_password_maps names it).
rm -f /etc/postfix/sasl_passwd.db

# A mysql: map while postfix-mysql is not installed: "unsupported dictionary type".
cat > /etc/postfix/mysql-senders.cf <<'M'
user = pfx_reader
password = Db-Pa55word
hosts = db7.bluefinch-logistics.de
dbname = mail
query = SELECT login FROM senders WHERE address='%s'
M
# A file with a database password that every local user can read.
chmod 644 /etc/postfix/mysql-senders.cf

# A certificate for the host (self-signed, expiring in 20 days) and its key.
mkdir -p /etc/ssl/certs /etc/ssl/private
openssl req -x509 -newkey rsa:2048 -nodes -days 20 -subj "/CN=mx1.bluefinch-logistics.de" \
    -addext "subjectAltName=DNS:mx1.bluefinch-logistics.de,DNS:mail.bluefinch-logistics.de" \
    -keyout /etc/ssl/private/mx1.key -out /etc/ssl/certs/mx1.pem >/dev/null 2>&1
chmod 600 /etc/ssl/private/mx1.key

# A damaged queue file that qmgr set aside.
install -d -o postfix -m 700 /var/spool/postfix/corrupt
printf 'not a queue file' > /var/spool/postfix/corrupt/4C1A2B3C4D5
chown postfix /var/spool/postfix/corrupt/4C1A2B3C4D5; chmod 600 /var/spool/postfix/corrupt/4C1A2B3C4D5

postconf -e \
    "myhostname = mx1.bluefinch-logistics.de" \
    "mydomain = bluefinch-logistics.de" \
    'myorigin = $mydomain' \
    'mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain #, kranich-hof.eu' \
    "mynetworks = 127.0.0.0/8 [::1]/128 10.20.30.0/24 172.16.5.0/24" \
    "inet_interfaces = loopback-only" \
    "inet_protocols = ipv4" \
    "relayhost = [127.0.0.1]:2599" \
    "virtual_alias_domains = kranich-hof.eu" \
    "virtual_alias_maps = hash:/etc/postfix/virtual" \
    "transport_maps = hash:/etc/postfix/transport" \
    "smtpd_sender_login_maps = mysql:/etc/postfix/mysql-senders.cf" \
    "smtp_sasl_auth_enable = yes" \
    "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd" \
    "smtp_sasl_security_options = noanonymous" \
    "soft_bounce = yes" \
    "debug_peer_list = 10.20.30.40" \
    "maillog_file = /var/log/postfix.log" \
    "smtpd_sasl_autenticated_header = yes" \
    "smtpd_tls_cert_file = /etc/ssl/certs/mx1.pem" \
    "smtpd_tls_key_file = /etc/ssl/private/mx1.key" \
    "append_dot_mydomain = no" \
    "message_size_limit = 10240000" \
    "maximal_queue_lifetime = 5d" \
    "smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination, reject_rbl_client zen.spamhaus.org, reject_rhsbl_sender dbl.spamhaus.org"

# master.cf: a verbose smtpd, a chrooted local (Postfix is started by hand here, so nothing copies
# the jail files into /var/spool/postfix/etc), and a second smtpd on 2525 whose mynetworks
# excludes loopback, so relaying from 127.0.0.1 is refused there.
postconf -M# smtp/inet
postconf -Me "smtp/inet = smtp inet n - y - - smtpd -v"
postconf -Fe "local/unix/chroot = y"
postconf -Me "127.0.0.1:2525/inet = 127.0.0.1:2525 inet n - y - - smtpd"
postconf -Pe "127.0.0.1:2525/inet/mynetworks = 10.99.0.0/16" \
             "127.0.0.1:2525/inet/syslog_name = postfix/relaytest"
postconf -Fe "127.0.0.1:2525/inet/process_limit = 1"
# An open relay: mynetworks of everyone on a third smtpd.
postconf -Me "127.0.0.1:2526/inet = 127.0.0.1:2526 inet n - y - - smtpd"
postconf -Pe "127.0.0.1:2526/inet/mynetworks = 0.0.0.0/0" \
             "127.0.0.1:2526/inet/syslog_name = postfix/openrelay"
# Relay restrictions that Postfix refuses (no reject_unauth_destination): smtpd dies on connect.
postconf -Me "127.0.0.1:2527/inet = 127.0.0.1:2527 inet n - y - - smtpd"
postconf -Pe "127.0.0.1:2527/inet/smtpd_relay_restrictions = permit_mynetworks,permit" \
             "127.0.0.1:2527/inet/smtpd_recipient_restrictions = permit" \
             "127.0.0.1:2527/inet/syslog_name = postfix/norelaycheck"
postconf -Me "submission/inet = submission inet n - y - - smtpd"
postconf -Pe "submission/inet/syslog_name = postfix/submission" \
             "submission/inet/smtpd_tls_security_level = encrypt" \
             "submission/inet/smtpd_sasl_auth_enable = yes"

touch /var/log/postfix.log
postfix check || true
postfix start
for _ in $(seq 50); do
    if [ -S /var/spool/postfix/public/showq ] && postqueue -p >/dev/null 2>&1; then break; fi
    sleep 0.1
done
# Traffic, so the log shows the planted faults on a fresh machine too (the log tests read it):
# a message through port 25 (unknown[127.0.0.1] from the empty jail, transport.db missing), a
# relay attempt refused on 2525, and a connection to 2527, whose smtpd dies at start.
swaks --server 127.0.0.1:25 --from setup@bluefinch-logistics.de --to info@kranich-hof.eu \
      --header "Subject: postfinger setup traffic" >/dev/null 2>&1 || true
swaks --server 127.0.0.1:2525 --from setup@bluefinch-logistics.de --to someone@example.org \
      >/dev/null 2>&1 || true
timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2527; cat <&3' >/dev/null 2>&1 || true
for _ in $(seq 100); do
    if grep -q "norelaycheck/smtpd.*fatal" /var/log/postfix.log \
        && grep -q "kranich-hof.eu.*status=" /var/log/postfix.log; then break; fi
    sleep 0.2
done

# A listener added to master.cf after the start, and no postfix reload: nothing listens there
# (--probe finds it refused).
postconf -Me "127.0.0.1:2528/inet = 127.0.0.1:2528 inet n - y - - smtpd"
postconf -Pe "127.0.0.1:2528/inet/syslog_name = postfix/notreloaded"
echo "setup-postfix: troubled Postfix $(postconf -h mail_version) running on loopback"
