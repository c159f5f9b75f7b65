"""Where the user asked the report to go: the typed value the report's parser builds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Delivery:
    format: str = "text"  # text or json: what -o and standard output get
    output: str | None = None  # -o FILE
    bundle: str | None = None  # --bundle FILE (tar.gz of the parts and a manifest)
    mail_to: str | None = None  # --mail-to ADDRESS, through the local sendmail
    sendmail: str | None = None  # --sendmail PATH; None: postconf's sendmail_path
    config_dir: str | None = None  # -c DIR: the Postfix whose sendmail_path is asked
