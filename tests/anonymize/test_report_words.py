"""Words the report itself writes must survive anonymization (found reading the example report)."""

from __future__ import annotations

import json

from ..conftest import EXAMPLE_ARGS
from ..helpers import replay


def _sections(*extra: str) -> dict:
    res = replay(*EXAMPLE_ARGS, "--format", "json", *extra)
    assert res.status == 0, res.stderr
    return {s["name"]: s for s in json.loads(res.stdout)["sections"]}


def test_library_names_are_file_names_not_domains() -> None:
    plain = _sections("--no-anonymize")["libraries"]["data"]["libraries"]
    anon = _sections()["libraries"]["data"]["libraries"]
    assert [lib["soname"] for lib in anon] == [lib["soname"] for lib in plain]
    assert "libdb-5.3.so" in {lib["soname"] for lib in anon}


def test_normalizer_placeholders_and_postfix_wording_survive() -> None:
    text = replay(*EXAMPLE_ARGS).stdout
    assert 'lookup error for "USER@DOMAIN"' in text
    assert "NIS domain name not set" in text
    # ... while the real addresses around them are replaced.
    assert "bluefinch-logistics.de" not in text and "j.meier" not in text


def test_a_replacement_never_equals_a_value_hidden_elsewhere() -> None:
    """A label replaced by `vm` while `vm` is the site's host name read as a leak (1 run in 4)."""
    from postfinger_py.anonymize.engine import Engine

    engine = Engine(bytes(range(32)), "on", ())
    engine.learn_short_host("vm")
    engine.freeze()
    outs = {engine.domain(f"mx.relay{n}.de").split(".")[0] for n in range(5000)}
    assert "vm" not in outs
    assert len(outs) > 300  # the labels are still spread over the 2-letter space


def test_a_domain_inside_a_file_name_is_hidden() -> None:
    """Greylisting replies name the domain in a URL: `.../help/example114.com.html`."""
    from postfinger_py.anonymize.engine import Engine

    engine = Engine(bytes(range(32)), "on", ())
    engine.freeze()
    line = (
        "said: 450 4.2.0 <sales@kunde114.com>: Greylisted, see "
        "http://postgrey.schweikert.ch/help/kunde114.com.html"
    )
    out = engine.apply(line)
    assert "kunde114" not in out and out.endswith(".com.html")
    assert engine.apply("main.cf libdb-5.3.so") == "main.cf libdb-5.3.so"


def test_fast_learning_finds_what_the_plain_patterns_find() -> None:
    from postfinger_py.anonymize import learn

    samples = [
        "to=<root@gateway>, from=<a.b@mailhub> x@y.z @alone mail@@double _x@under",
        "password = S3cret\nPassWord: Xy-1\nbind_pw=Q\nsasl_password: abc token=T0k AUTH pass=p",
        "İstanbul PASSWORD=İnce secret: ünïcode",  # lower() changes the length here
    ]
    for text in samples:
        assert learn._mail_labels(text) == set(learn._LABEL_MAIL.findall(text))
        assert learn._credentials(text) == learn._CRED.findall(text)
