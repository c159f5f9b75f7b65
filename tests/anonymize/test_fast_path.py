"""Engine.apply (line by line, piece by piece, atom by atom) gives exactly what the one-regex
reference `apply_by_regex` gives, and the faster helpers equal the plain code they replace."""

from __future__ import annotations

import hashlib
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postfinger_py.anonymize import learn
from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.shape import _DIGIT_OF_BYTE, _LETTER_OF_BYTE, keyed_shape
from postfinger_py.anonymize.suffix import _public_suffix, public_suffix_of, public_suffixes

from .conftest import SITE, engine_pair, read

KEY = bytes(range(32))

# Pieces chosen to reach every branch of the fast path: syslog heads with and without a program
# tag, tokens cut into atoms, the cases that must not be cut (credentials, sasl_username=,
# `[addr]/len`), table lines, learned names, escaped dots, case-folding characters, odd spaces.
FRAGMENTS = [
    "Nov 21 23:37:34 mx1 postfix/smtpd[1234]: ",
    "2026-11-21T23:37:34.123456+01:00 vm ",
    "Nov  1 00:00:01 mail.bluefinch-logistics.de postfix/qmgr[99]: ",
    "Nov 21 23:37:34 mx1 ",
    "Nov 21 23:37:34 gw postfix/lager[7]: ",
    "Nov 21 23:37:34 gw mx1/smtpd[8]: ",
    "4F2A1B3C9D: ",
    "DEADBEEF1: ",
    "client=mail7.kunde-nord.de[203.0.113.9]",
    "relay=mx.bluefinch-logistics.de[10.20.30.40]:25,",
    "to=<j.meier@bluefinch-logistics.de>,",
    "from=<>",
    "message-id=<20261121.abc@mail.kunde-nord.de>",
    "sasl_username=j.meier",
    "sasl_username=lager",
    "password=S3cret[1]",
    "Password: hunter22",
    "passwd = topsecret",
    "user = dbuser",
    "  bind_pw=xyz",
    "token:abc",
    "ſecret=x",
    "pasſword=x",
    "api_key=K3y",
    "[2001:db8::]/32",
    "[2001:db8:1::5]",
    "IPv6:2a01:4f8::1",
    "fe80::1%eth0",
    "10.0.0.0/8",
    "192.168.1.77.51234",
    "1.2.3.4.com",
    "300.1.2.3",
    "example\\.com",
    "@bluefinch-logistics.de",
    ".kunde-nord.de",
    "mx1",
    "MX1:",
    "(mx1)",
    "j.meier",
    "lager",
    "main.cf",
    "libdb-5.3.so",
    "/help/kunde-nord.de.html",
    "size=12345,",
    "delays=0.1/0/0.2/0.3,",
    "dsn=4.7.1,",
    "status=deferred",
    "(host mx.kunde-nord.de[198.51.100.7] said: 450 4.7.1 <x@y.de>: busy)",
    "xn--mnchen-3ya.de",
    "münchen.de",
    "ΟΣ.ΑΒ.gr",
    "İstanbul.example.tr",
    "a" * 70 + ".de",
    "pwd=a=b",
    "pass=x*y",
    "password=ab*cd(",
    "a=b",
    "x*y",
    "ab*cd(",
    "S3cret[1]",
    "hunter22",
    "topsecret",
    "(S3cret[1])",
    "<hunter22>",
    "********",
    "****",
    "\t",
    "\r",
    "\xa0",
    "\u2003",
    "=",
    "<",
    ">",
    ",",
    ";",
    "'",
    '"',
    "(",
    ")",
    "[",
    "]",
    "",
]
SEPARATORS = [" ", " ", " ", "  ", "\n", "\n", "\r\n", "\t", ""]


def _pair(text: str, extra: str = "") -> tuple:
    def learn_site(e: Engine) -> None:
        e.learn_host(SITE["hostname"], is_own_host=True)
        e.learn_user("j.meier")
        learn.learn_free_text(e, text + extra)

    return engine_pair(KEY, learn_site)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(SEPARATORS)), max_size=40))
def test_apply_equals_the_reference(parts: list) -> None:
    text = "".join(a + b for a, b in parts)
    fast, ref = _pair(text)
    assert fast.apply(text) == ref.apply_by_regex(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=string.printable + "ſKİı\xa0→", max_size=200))
def test_apply_equals_the_reference_on_any_text(text: str) -> None:
    fast, ref = _pair(text, " Nov 21 23:37:34 mx1 postfix/smtpd[1]: sasl_username=lager")
    assert fast.apply(text) == ref.apply_by_regex(text)


@pytest.mark.parametrize(
    "secret, host, atoms",
    [
        ("S3cret(Passw0rd)=!", "", True),  # masked before scanning: cut characters do not matter
        ("S3cret*Passw0rd", "", False),  # masking could make a new occurrence: no atoms
        ("a=b", "", False),  # a short secret is scanned as a word: it must not hold a cut character
        ("pa.ss(word", "", False),  # matches as `pa\\.ss(word` too, which masking does not catch
        ("", "we<ird", False),  # nor may a learned name
    ],
)
def test_apply_equals_the_reference_with_and_without_atoms(secret: str, host: str, atoms: bool) -> None:
    plain = [f for f in FRAGMENTS if not any(x in f for x in ("a=b", "x*y", "ab*cd"))]
    text = "\n".join(plain) + (
        f"\nNov 21 23:37:34 {host} postfix/smtpd[1]: to=<a@{host}>, "
        f"x={host} pass {secret} ({secret}) <{secret}>=x{secret} "
        f"{secret.replace('.', chr(92) + '.')}"
    )
    fast, ref = _pair(text)
    for e in (fast, ref):
        if secret:
            e.learn_secret(secret)
        e.freeze()
    assert fast._atoms_ok is atoms
    assert fast.apply(text) == ref.apply_by_regex(text)


def test_apply_equals_the_reference_on_recorded_logs() -> None:
    for name in ("postfix.log", "pin-input.txt"):
        text = read(name)
        fast, ref = _pair(text)
        assert fast.apply(text) == ref.apply_by_regex(text), name


def _keyed_shape_reference(key: bytes, value: str, context: str = "", counter: int = 0) -> str:
    """keyed_shape as first written: one loop, one BLAKE2b call per 64 bytes."""
    lowered = value.lower()
    if len(lowered) != len(value):
        lowered = value
    msg = f"{counter}\x00{context}\x00{lowered}".encode("utf-8", "surrogatepass")
    stream, block = b"", 0
    while len(stream) < len(value):
        stream += hashlib.blake2b(msg + b"\x00" + str(block).encode(), key=key).digest()
        block += 1
    letters = stream.translate(_LETTER_OF_BYTE).decode("ascii")
    digits = stream.translate(_DIGIT_OF_BYTE).decode("ascii")
    out = []
    for i, ch in enumerate(value):
        if ch.isdigit():
            out.append(digits[i])
        elif ch.isalpha():
            out.append(letters[i].upper() if ch.isupper() else letters[i])
        else:
            out.append(ch)
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=16, max_size=32),
    st.one_of(st.text(string.ascii_lowercase + string.digits + "._-", max_size=150), st.text(max_size=150)),
    st.text(max_size=20),
    st.integers(0, 63),
)
def test_keyed_shape_equals_the_plain_loop(key: bytes, value: str, context: str, counter: int) -> None:
    assert keyed_shape(key, value, context, counter) == _keyed_shape_reference(key, value, context, counter)


def test_public_suffix_by_two_labels_equals_by_five() -> None:
    """The shortcut (cache by the last two labels) on names under every rule of the list."""
    rules = sorted(public_suffixes()._publicsuffix)
    names = [
        "mail.example.com",
        "a.b.city.kobe.jp",
        "x.y.kobe.jp",
        "a.www.ck",
        "b.a.www.ck",
        "host.eu-west-1.compute.amazonaws.com",
        "foo.bar.blogspot.co.uk",
        "a.b.c.d.e.f.de",
        "mx.kunde.unknowntld",
        "a.b.xn--mnchen-3ya.de",
    ]
    for rule in rules:
        base = rule.lstrip("!").replace("*", "w")
        names += [f"h.{base}", f"a.h.{base}", f"b.a.h.{base}"]
    assert len(names) > 20000
    for name in names:
        labels = name.lower().split(".")
        assert public_suffix_of(labels) == _public_suffix(".".join(labels[-5:])), name


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
def test_leak_check_tokens_by_translate_equal_the_pattern(text: str) -> None:
    from postfinger_py.anonymize.leak import _NOT_TOKEN_ASCII, _TOKENS

    assert text.translate(_NOT_TOKEN_ASCII).split() == _TOKENS.findall(text)


_CFLINE_AS_FIRST_WRITTEN = re.compile(
    # (A one-word key only where one word follows: pipe(8)'s `user=vmail argv=...` is no table line.)
    r"^[ \t]*((?:user|username|dbname)(?=[ \t]*=[ \t]*\S+[ \t\r]*$)|password|passwd|bind_pw|hosts|server_host"
    r"|bind_dn|search_base)[ \t]*=[ \t]*([^\n]*?)[ \t]*$",
    re.MULTILINE,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "user = a",
                "  password=x y ",
                "\n",
                "hosts = db1 db2\t",
                "x user = b",
                "dbname=\n",
                " ",
                "\t",
                "bind_dn = cn=x",
                "\r\n",
                "search_base=",
                "passwd = p\r",
                "server_host=h",
            ]
        ),
        max_size=14,
    )
)
def test_learned_table_lines_equal_the_multiline_pattern(parts: list) -> None:
    text = "".join(parts)
    assert learn._CFLINE.findall("\n" + text) == _CFLINE_AS_FIRST_WRITTEN.findall(text)


def test_same_input_same_output_whatever_the_hash_seed(tmp_path) -> None:
    """Sets iterate in a different order under each PYTHONHASHSEED; the output must not."""
    import os
    import subprocess
    import sys

    from ..conftest import REPO

    log = tmp_path / "mixed.log"
    log.write_text(
        "Nov 21 00:00:01 mx1 postfix/smtpd[1]: connect from gw[10.1.2.3]\n"
        "Nov 21 00:00:02 mx1.bluefinch-site.de postfix/smtpd[2]: password=abcdef\n"
        "Nov 21 00:00:03 relay.other-site.de postfix/qmgr[3]: secret=bcdefg x\n"
        "Nov 21 00:00:04 gw postfix/smtp[4]: to=<j@mx1>, relay=mx1[10.1.2.4]:25 "
        "abcdefg\n"
    )
    (tmp_path / "main.cf").write_text("")  # a configuration that teaches nothing (postconf
    (tmp_path / "master.cf").write_text("")  # sleeps a second on a missing one)
    key = tmp_path / "key"
    key.write_text(KEY.hex() + "\n")
    key.chmod(0o600)
    outs = set()
    for seed in ("0", "1", "2", "3", "4", "5"):
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "postfinger_py",
                "anonymize",
                "-c",
                str(tmp_path),
                "--anon-key",
                str(key),
                str(log),
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=dict(os.environ, PYTHONHASHSEED=seed),
            timeout=60,
        )
        assert res.returncode == 0, res.stderr
        outs.add(res.stdout)
    assert len(outs) == 1
    assert "bluefinch" not in outs.pop()


def test_fully_qualified_name_with_trailing_dot_maps_like_the_name() -> None:
    e = Engine(KEY)
    e.learn_host("mail.example-site.co.uk")
    e.freeze()
    out = e.apply(
        "Nov 21 00:00:01 mail.example-site.co.uk. postfix/smtpd[1]: "
        "relayhost = [mail.example-site.co.uk.]:587 mail.example-site.co.uk"
    )
    dotted = out.split(" ")[3]
    assert dotted.endswith(".co.uk.") and "example-site" not in out
    assert out.endswith(" " + dotted[:-1]) and f"[{dotted}]:587" in out
    assert e.domain("mail.example-site.co.uk.") == e.domain("mail.example-site.co.uk") + "."
    assert e.domain("mx1\\.example-site\\.de\\.").count("\\.") == 3  # escaped: not the root
    assert e.domain("a" + "." * 5000).endswith("." * 5000)  # many dots: no deep recursion
    # A syslog host written as an address with a trailing dot is anonymized as that address.
    out = e.apply("Nov 21 00:00:01 1.2.3.4. postfix/smtpd[1]: client=x[1.2.3.4]")
    host, client = out.split(" ")[3], out.split("[")[-1].rstrip("]")
    assert host == client + "." and client != "1.2.3.4"
