"""Site names in forms the detectors missed: words, DNs, reverse DNS, VERP, service:address."""

from __future__ import annotations

from pathlib import Path

from .leaks_helpers import command, filtered, site

KEY = bytes(range(32))
MAIN_CF = """\
myhostname = mx1.acme-robotics.com
mydomain = acme-robotics.com
smtpd_banner = $myhostname ESMTP Acme-Robotics mail
"""


def test_a_learned_label_as_a_word_in_any_case(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = ("smtpd_banner = $myhostname ESMTP Acme-Robotics mail\n"
            "Nov 21 00:00:03 mx1 postfix/smtpd[6]: NOQUEUE: reject: RCPT from x[198.51.100.7]: "
            "554 5.7.1 <a@acme-robotics.com>: ACME-ROBOTICS policy; see acme-robotics.com/policy\n")
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        assert "acme-robotics" not in out.lower()
        assert "smtpd_banner = $myhostname ESMTP " in out and " mail\n" in out
        assert "postfix/smtpd[6]: NOQUEUE: reject: RCPT from" in out
        word = out.split("ESMTP ")[1].split(" ")[0]
        dom = out.split("see ")[1].split("/")[0]
        # The same replacement as inside the domain, with the word's case pattern.
        assert dom == word.lower() + ".com" and word[0].isupper() and word[5].isupper()
        assert word[1:5].islower() and word.upper() in out and word[4] == "-"
