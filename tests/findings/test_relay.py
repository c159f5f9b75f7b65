"""Relay safety on recorded input: mynetworks width and the relay restriction lists, per service."""

from __future__ import annotations

from collections.abc import Sequence

from postfinger_py.findings import Finding
from postfinger_py.findings.facts import Facts
from postfinger_py.findings.relay import mynetworks, restrictions, too_wide

from .fakes import facts, maincf, mastercf, service

# postconf -x of Debian 12's stock main.cf (the relay-related values).
STOCK = {
    "mynetworks": "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
    "mynetworks_style": "host",
    "smtpd_relay_restrictions": "permit_mynetworks permit_sasl_authenticated defer_unauth_destination",
    "smtpd_recipient_restrictions": "",
}
STOCK_MAIN = {
    "mynetworks": STOCK["mynetworks"],
    "smtpd_relay_restrictions": STOCK["smtpd_relay_restrictions"],
}


def o(svc: str, name: str, value: str) -> dict[str, str]:
    return {"service": svc, "type": "inet", "name": name, "value": value}


def site(main: dict[str, str], overrides: Sequence[dict[str, str]] = (), extra: Sequence[str] = ()) -> Facts:
    services = [
        service("smtp", "inet", "smtpd"),
        service("pickup", command="pickup"),
        *(service(name, "inet", "smtpd") for name in extra),
    ]
    return facts(
        [maincf(main), mastercf(services, overrides)], effective={**STOCK, **main, "mail_version": "3.7.11"}
    )


def found(f: Facts) -> list[Finding]:
    return [*mynetworks(f), *restrictions(f)]


def test_debian_stock_is_safe() -> None:
    assert found(site(STOCK_MAIN)) == []


def test_the_test_sites_open_relay_listener_is_attributed_to_its_service() -> None:
    f = site(
        {**STOCK_MAIN, "mynetworks": "127.0.0.0/8 [::1]/128 10.20.30.0/24 172.16.5.0/24"},
        [
            o("127.0.0.1:2526", "mynetworks", "0.0.0.0/0"),
            o("127.0.0.1:2526", "syslog_name", "postfix/openrelay"),
            o("127.0.0.1:2525", "mynetworks", "10.99.0.0/16"),
        ],
        extra=["127.0.0.1:2525", "127.0.0.1:2526"],
    )
    [one] = found(f)
    assert (one.severity, one.code) == ("problem", "mynetworks-too-wide")
    assert one.message.startswith("127.0.0.1:2526/inet: mynetworks includes 0.0.0.0/0")
    assert "open relay" in one.message
    assert one.evidence == ("master.cf: 127.0.0.1:2526/inet -o mynetworks=0.0.0.0/0",)


def test_refused_relay_restrictions_on_one_service() -> None:
    f = site(
        STOCK_MAIN,
        [
            o("127.0.0.1:2527", "smtpd_relay_restrictions", "permit_mynetworks,permit"),
            o("127.0.0.1:2527", "smtpd_recipient_restrictions", "permit"),
        ],
        extra=["127.0.0.1:2527"],
    )
    [one] = found(f)
    assert (one.severity, one.code) == ("problem", "relay-restrictions-refused")
    assert one.message.startswith("127.0.0.1:2527/inet: neither")
    assert one.evidence == (
        "master.cf: 127.0.0.1:2527/inet -o smtpd_relay_restrictions=permit_mynetworks,permit",
        "master.cf: 127.0.0.1:2527/inet -o smtpd_recipient_restrictions=permit",
    )


def test_a_bare_permit_before_the_guard_in_main_cf_is_an_open_relay() -> None:
    main = {**STOCK_MAIN, "smtpd_relay_restrictions": "permit, reject_unauth_destination"}
    [one] = found(site(main))
    assert (one.severity, one.code) == ("problem", "relay-permit-before-unauth")
    assert one.evidence[0] == "main.cf: smtpd_relay_restrictions = permit, reject_unauth_destination"
    assert one.evidence[-1] == "used by: smtp/inet"


def test_one_guarded_list_is_enough() -> None:
    # The relay list lets everyone through, but the recipient list still stops relaying.
    main = {
        **STOCK_MAIN,
        "smtpd_relay_restrictions": "permit_mynetworks, permit",
        "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
    }
    assert found(site(main)) == []
    # Legacy: no relay list at all, the recipient list guards.
    main = {
        **STOCK_MAIN,
        "smtpd_relay_restrictions": "",
        "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
    }
    assert found(site(main)) == []


def test_wide_and_safe_networks() -> None:
    assert too_wide("0.0.0.0/0, [::]/0") == ["0.0.0.0/0", "[::]/0"]
    assert too_wide("82.0.0.0/8 85.10.0.0/16 85.10.20.0/24") == ["82.0.0.0/8", "85.10.0.0/16"]
    assert too_wide("10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 127.0.0.0/8 [fd00::]/8") == []
    assert too_wide("0.0.0.0/1 !0.0.0.0/0") == ["0.0.0.0/1"]  # 0/1 holds private ranges too
    assert too_wide("hash:/etc/postfix/network_table /etc/postfix/networks") == []


def test_main_cf_mynetworks_only_counts_for_services_that_inherit_it() -> None:
    main = {**STOCK_MAIN, "mynetworks": "127.0.0.0/8 62.0.0.0/8"}
    [one] = found(site(main))
    assert one.evidence == ("main.cf: mynetworks = 127.0.0.0/8 62.0.0.0/8", "used by: smtp/inet")
    overridden = site(main, [o("smtp", "mynetworks", "127.0.0.0/8")])
    assert found(overridden) == []


def test_wide_mynetworks_without_permit_mynetworks_is_a_warning() -> None:
    main = {
        "mynetworks": "0.0.0.0/0",
        "smtpd_relay_restrictions": "permit_sasl_authenticated, reject_unauth_destination",
    }
    [one] = found(site(main))
    assert one.severity == "warning"


def test_mynetworks_style_class_without_mynetworks() -> None:
    f = facts(
        [maincf({"mynetworks_style": "class"}), mastercf([service("smtp", "inet", "smtpd")])],
        effective={**STOCK, "mynetworks_style": "class", "mynetworks": "127.0.0.0/8 192.0.2.0/24"},
    )
    [one] = found(f)
    assert (one.severity, one.code) == ("problem", "mynetworks-class")


def test_no_smtpd_no_relay_findings() -> None:
    f = facts(
        [maincf({"mynetworks": "0.0.0.0/0"}), mastercf([service("pickup", command="pickup")])],
        effective={**STOCK, "mynetworks": "0.0.0.0/0", "smtpd_relay_restrictions": ""},
    )
    assert found(f) == []


def test_a_restriction_class_counts_as_its_list() -> None:
    main = {
        **STOCK_MAIN,
        "smtpd_restriction_classes": "relaycheck",
        "relaycheck": "permit_mynetworks, reject_unauth_destination",
        "smtpd_relay_restrictions": "relaycheck",
    }
    assert found(site(main)) == []
    opened = {**main, "relaycheck": "permit"}
    [one] = found(site(opened))
    assert one.code == "relay-restrictions-refused"


def test_warn_if_reject_defuses_the_guard_as_postfix_counts_it() -> None:
    main = {
        **STOCK_MAIN,
        "smtpd_relay_restrictions": "permit_mynetworks, warn_if_reject reject_unauth_destination",
    }
    [one] = found(site(main))
    assert one.code == "relay-restrictions-refused"
