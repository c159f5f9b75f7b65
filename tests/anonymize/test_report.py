"""The anonymize stage on a report built from real output of the troubled Postfix (recorded)."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import stat
from pathlib import Path

import pytest

from postfinger_py.anonymize import AnonSettings, anonymize
from postfinger_py.model import Report

from .conftest import SITE, read, recorded_report, site_values


def everything(report: Report) -> str:
    return json.dumps(report.to_plain()) + json.dumps([s.raw for s in report.sections])


def param(report: Report, name: str) -> str:
    section = report.section("maincf")
    assert section is not None
    return next(p["value"] for p in section.data["parameters"] if p["name"] == name)


def test_no_site_value_survives_anywhere(report: Report) -> None:
    out = anonymize(report, AnonSettings()).report
    text = everything(out).lower()
    for value in site_values():
        assert value.lower() not in text, value
    assert out.anonymized == "on"


def test_relations_hold(report: Report) -> None:
    out = anonymize(report, AnonSettings()).report
    host, domain = param(out, "myhostname"), param(out, "mydomain")
    assert host != SITE["hostname"] and host.endswith("." + domain)  # host still in its domain
    assert domain.endswith(".de")  # public suffix kept
    nets = [ipaddress.ip_network(n) for n in param(out, "mynetworks").split() if not n.startswith("[")]
    client = ipaddress.ip_address(param(out, "debug_peer_list"))
    assert client.is_private and any(client in n for n in nets)  # client still in mynetworks
    assert "127.0.0.0/8" in param(out, "mynetworks")  # loopback kept
    assert param(out, "virtual_alias_domains").endswith(".eu")


def test_parameter_names_and_keywords_survive(report: Report) -> None:
    out = anonymize(report, AnonSettings()).report
    names = [p["name"] for p in out.section("maincf").data["parameters"]]  # type: ignore[union-attr]
    assert names == [p["name"] for p in report.section("maincf").data["parameters"]]  # type: ignore[union-attr]
    text = out.section("maincf").data["text"]  # type: ignore[union-attr]
    for line in (
        "soft_bounce = yes",
        "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd",
        "mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain",
        "relayhost = [127.0.0.1]:2599",
        "maillog_file = /var/log/postfix.log",
    ):
        assert line in text
    master = out.section("mastercf").data["text"]  # type: ignore[union-attr]
    assert master == read("postconf-Mf.txt").replace("10.99.0.0/16", _net(master))


def _net(master: str) -> str:
    m = re.search(r"mynetworks=(\S+)", master)
    assert m is not None
    return m.group(1)


def test_consistent_across_sections(report: Report) -> None:
    out = anonymize(report, AnonSettings()).report
    host = param(out, "myhostname")
    log = out.section("logs").raw["postfix.log"]  # type: ignore[union-attr]
    short = host.split(".")[0]
    assert re.search(rf"^\w+ +\d+ [\d:]+ {re.escape(short)} postfix/", log, re.M)
    assert out.hostname == host
    assert host in out.summary or param(out, "mydomain") in out.summary
    virtual = out.section("maps").raw["/etc/postfix/virtual"]  # type: ignore[union-attr]
    assert "@" + param(out, "virtual_alias_domains") in virtual  # the catch-all line


def test_secrets_masked_even_when_off(report: Report) -> None:
    result = anonymize(report, AnonSettings(mode="off"))
    text = everything(result.report)
    assert SITE["sasl_password"] not in text and SITE["mysql_password"] not in text
    assert "password = ********" in text
    assert SITE["hostname"] in text  # off means off for everything else
    assert result.report.anonymized == "off"
    assert result.find_leak(text) is None


def test_strict_mode_is_debug_readme_style(report: Report) -> None:
    out = anonymize(report, AnonSettings(mode="strict")).report
    assert param(out, "mydomain") == "AAAAAAAAA-AAAAAAAAA.de"
    assert param(out, "debug_peer_list") == "DD.DD.DD.DD"
    assert "127.0.0.0/8" in param(out, "mynetworks")


def test_same_key_file_same_output(report: Report, tmp_path: Path) -> None:
    key = tmp_path / "key"
    a = anonymize(recorded_report(), AnonSettings(key_file=str(key))).report
    b = anonymize(recorded_report(), AnonSettings(key_file=str(key))).report
    assert everything(a) == everything(b)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    c = anonymize(recorded_report(), AnonSettings()).report  # random key: different
    assert param(c, "mydomain") != param(a, "mydomain")


def test_map_file_written_private(report: Report, tmp_path: Path) -> None:
    mapfile = tmp_path / "map"
    out = anonymize(report, AnonSettings(map_file=str(mapfile))).report
    text = mapfile.read_text()
    assert stat.S_IMODE(os.stat(mapfile).st_mode) == 0o600
    assert f"domain name\t{SITE['domain']}\t{param(out, 'mydomain')}" in text


def test_keep_pattern(report: Report) -> None:
    out = anonymize(report, AnonSettings(keep=(r"kranich-hof\.eu",))).report
    assert param(out, "virtual_alias_domains") == "kranich-hof.eu"


def test_find_leak_names_section_not_value(report: Report) -> None:
    result = anonymize(report, AnonSettings())
    rendered = "== Log ==\nsomething about mx1.bluefinch-logistics.de here\n"
    problem = result.find_leak(rendered)
    assert problem is not None and '"Log"' in problem and "bluefinch" not in problem
    assert result.find_leak("== Log ==\nnothing here\n") is None
    assert result.find_leak("x " + SITE["sasl_password"]) is not None


def test_input_report_not_modified(report: Report) -> None:
    before = everything(report)
    anonymize(report, AnonSettings())
    assert everything(report) == before


@pytest.mark.parametrize("mode", ["on", "strict"])
def test_own_leak_check_passes_on_output(report: Report, mode: str) -> None:
    result = anonymize(report, AnonSettings(mode=mode))
    assert result.find_leak(everything(result.report)) is None


def test_a_latin1_name_in_the_report_is_replaced_whole(report: Report) -> None:
    """A log line with a Latin-1 user (`j\\xfcrgen`) was read as `j\\ufffdrgen`: cut there in
    two, its pieces stayed in the report. Read as the log reader reads it, it is one word,
    replaced whole, and the leak check sees the original."""
    import dataclasses

    from postfinger_py.logs.scan import decode

    raw = f"mail from j\xfcrgen.m\xfcller@{SITE['domain']} bounces; lda(j\xfcrgen.m\xfcller) failed"
    summary = decode(raw.encode("latin-1"))
    assert "\ufffd" not in summary
    result = anonymize(dataclasses.replace(report, summary=summary), AnonSettings())
    out = result.report.summary
    assert "rgen" not in out and "ller" not in out and SITE["domain"] not in out
    local = out.split("mail from ")[1].split("@")[0]
    assert len(local) == len("j?rgen.m?ller") and f"lda({local})" in out
    assert result.find_leak(out) is None
    assert result.find_leak(summary) is not None, "the original is a leak to the check"
