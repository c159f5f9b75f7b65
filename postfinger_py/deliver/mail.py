"""Mail the report to oneself through the local sendmail: report inline, bundle attached."""

from __future__ import annotations

import re
from datetime import timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from postfinger_py.model import Report
from postfinger_py.runner import CommandResult, Runner

_ADDRESS = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+$|^[A-Za-z0-9._+-]+$")


def valid_address(address: str) -> bool:
    """A plain address (user@domain) or a local user name; nothing sendmail could take as an option."""
    return bool(_ADDRESS.match(address)) and not address.startswith("-")


def build_message(report: Report, address: str, text: str, bundle: bytes | None) -> tuple[bytes, str]:
    """The message, and its Message-ID (users can trace it in their own log)."""
    msg = EmailMessage()
    when = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    msg["Subject"] = (
        f"postfinger report: {report.hostname or 'unknown host'} "
        f"(Postfix {report.mail_version or '?'}) {when}"
    )
    # Mailed to oneself: the sender is the recipient, so a bounce comes back to the same place.
    msg["From"] = f"postfinger <{address}>" if "@" in address else address
    msg["To"] = address
    when_utc = report.generated_at.replace(tzinfo=report.generated_at.tzinfo or timezone.utc)
    msg["Date"] = format_datetime(when_utc.astimezone(timezone.utc))  # "... +0000"
    message_id = make_msgid("postfinger")
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="8bit")
    if bundle is not None:
        msg.add_attachment(
            bundle, maintype="application", subtype="gzip", filename="postfinger-bundle.tar.gz"
        )
    return msg.as_bytes(), message_id


def send(runner: Runner, sendmail: str, address: str, message: bytes) -> CommandResult:
    """Submit through sendmail: -i (a lone dot is not the end), `--` before the recipient."""
    return runner.run([sendmail, "-i", "--", address], stdin=message, timeout=60)
