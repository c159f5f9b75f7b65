"""`postfinger lookup KEY`: ask every table the configuration names what Postfix would ask it."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

from postfinger_py.anonymize import add_anon_arguments, settings_from_args, text_filter
from postfinger_py.argparsing import Parser, add_config_dir
from postfinger_py.env import Env
from postfinger_py.errors import ExitStatus, UsageError
from postfinger_py.findings.facts import Facts
from postfinger_py.findings.tables import DEBIAN_PACKAGES, settings, table_uses
from postfinger_py.model import Context, Options
from postfinger_py.parse.lookup_keys import ACCESS, TRANSPORT, KeyForm, key_forms, split_key, style_of
from postfinger_py.parse.maps import split_list

log = logging.getLogger(__name__)

DESCRIPTION = (
    "Ask every lookup table that main.cf or a master.cf -o override names what Postfix itself "
    "would ask it for KEY (an address or a domain), with `postmap -q` (as the user postfix when "
    "run as root), in Postfix's search order: user@domain, user@, domain, parent domains, "
    "@domain, as access(5), virtual(5), canonical(5) and transport(5) describe. Read-only: "
    "nothing is built or changed. Answers from password tables are never shown."
)
EPILOG = """\
examples:
  postfinger lookup info@example.com      which table rewrites, routes or rejects this address
  postfinger lookup example.com --json    the same for a domain, as one JSON document
  postfinger lookup -c /etc/postfix-out user@example.com   another Postfix instance

exit status: 0 every table was asked, 1 error, 2 usage, 3 some tables could not be asked
  (the reason is on their line), 4 refused: an original value survived anonymization
"""
# Tables no outside process can ask: internal: lives inside one Postfix process.
_UNASKABLE = {"internal": "internal: tables live inside one Postfix process; postmap cannot ask them"}
_AS_POSTFIX = (
    ("setpriv", "--reuid=postfix", "--regid=postfix", "--clear-groups"),
    ("runuser", "-u", "postfix", "--"),
)
_TIMEOUT = 15.0


@dataclass
class Answer:
    key: str
    form: str
    found: bool
    value: str = ""  # "" when not found or secret


@dataclass
class TableResult:
    spec: str
    params: list[str]
    style: str
    secret: bool
    answers: list[Answer] = field(default_factory=list)
    problem: str = ""  # why it could not be asked (one line), "" when it could
    warnings: list[str] = field(default_factory=list)  # postmap's own warnings

    @property
    def winner(self) -> Answer | None:
        return next((a for a in self.answers if a.found), None)


def build_parser(env: Env) -> argparse.ArgumentParser:
    p = Parser(prog="postfinger lookup", description=DESCRIPTION, epilog=EPILOG, env=env)
    p.add_argument("key", metavar="KEY", help="an address (user@domain) or a domain")
    add_config_dir(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document: the key and, "
        "for each table, its settings, the keys asked and the answers",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="show each postmap command as it runs")
    add_anon_arguments(p)
    return p


def is_secret(spec: str, params: Sequence[str]) -> bool:
    """Tables whose right-hand sides are passwords: their answers are always masked."""
    words = [spec.lower(), *(p.lower() for p in params)]
    return any("passw" in w or "_sasl_" in w or "sasl_" in w for w in words)


class Asker:
    """Runs `postmap -q KEY TABLE` through the Runner, as postfix when we are root."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.prefix: tuple[str, ...] | None = () if ctx.euid != 0 else None

    def _argv(self, key: str, spec: str) -> tuple[str, ...]:
        argv: tuple[str, ...] = ("postmap",)
        if self.ctx.options.config_dir:
            argv += ("-c", self.ctx.options.config_dir)
        return (*argv, "-q", key, spec)

    def ask(self, key: str, spec: str) -> Any:
        argv = self._argv(key, spec)
        if self.prefix is None:
            for prefix in _AS_POSTFIX:
                res = self.ctx.runner.run(prefix + argv, timeout=_TIMEOUT)
                log.debug("postmap -q KEY %s as %s: status %s", spec, prefix[0], res.status)
                if not res.missing:
                    self.prefix = prefix
                    return res
            self.prefix = ()  # neither exists: ask as root, as Postfix's daemons open tables
        res = self.ctx.runner.run(self.prefix + argv, timeout=_TIMEOUT)
        # The key is left out: stderr does not pass through the anonymizer.
        log.debug(
            "postmap -q KEY %s%s: status %s", spec, f" as {self.prefix[0]}" if self.prefix else "", res.status
        )
        return res


def _fatal(stderr: str) -> str:
    for line in stderr.splitlines():
        if "fatal:" in line:
            return line.split("fatal:", 1)[1].strip()
    return ""


def _why(fatal: str, spec: str, as_postfix: bool) -> str:
    kind = spec.split(":", 1)[0]
    if "unsupported dictionary type" in fatal:
        package = DEBIAN_PACKAGES.get(fatal.rsplit(":", 1)[-1].strip())
        return fatal + (f" (install {package})" if package else " (not in postconf -m)")
    if "Permission denied" in fatal or "permission denied" in fatal:
        who = "the user postfix" if as_postfix else "this user"
        return f"{fatal} ({who} cannot read it; Postfix opens {kind}: tables as root)"
    return fatal


def ask_table(asker: Asker, result: TableResult, forms: list[KeyForm]) -> None:
    for form in forms:
        res = asker.ask(form.key, result.spec)
        for line in res.stderr.splitlines():
            if "warning:" in line:
                warning = line.split("warning:", 1)[1].strip()
                if warning not in result.warnings:
                    result.warnings.append(warning)
        if res.missing or res.timed_out:
            result.problem = res.describe_failure()
            return
        fatal = _fatal(res.stderr)
        if fatal:
            result.problem = _why(fatal, result.spec, bool(asker.prefix))
            return
        if res.status == 0:
            value = "" if result.secret else res.stdout.rstrip("\n")
            result.answers.append(Answer(form.key, form.form, True, value))
        elif res.status == 1:
            result.answers.append(Answer(form.key, form.form, False))
        else:
            result.problem = res.describe_failure()
            return


def _local_domain(facts: Facts, domain: str) -> bool | None:
    """Whether Postfix treats the domain as local (myorigin, mydestination); None: unknown."""
    if not domain:
        return None
    origin = facts.param("myorigin").lower().rstrip(".")
    if origin.startswith("/"):  # Debian: myorigin = /etc/mailname, the name is in the file
        data, _problem = facts.read(origin, limit=1024)
        if data is None:
            return None
        origin = (data.decode("utf-8", "replace").split() or [""])[0].lower().rstrip(".")
    if domain == origin:
        return True
    items = [i.lower().rstrip(".") for i in split_list(facts.param("mydestination"))]
    if domain in items:
        return True
    return None if any(":" in i for i in items) else False


def lookup(ctx: Context, key: str) -> list[TableResult]:
    """Ask every table the configuration names (top level, as Postfix asks them) about KEY."""
    facts = Facts(ctx, [])
    addr = split_key(key, facts.param("recipient_delimiter"))
    parent_params = set(split_list(facts.param("parent_domain_matches_subdomains")))
    local = _local_domain(facts, addr.domain)
    items: dict[str, list[str]] = {}  # main.cf and -o values of one name: the uses of both
    for name, value, _line in settings(facts):
        items.setdefault(name, []).extend(split_list(value))
    asker = Asker(ctx)
    results = []
    for use in table_uses(facts):
        if use.ref.within:
            continue  # asked through the table that holds it (proxy:, pipemap:, unionmap:)
        spec = use.ref.spec
        style = style_of(use.params[0], items.get(use.params[0], []), spec)
        for param in use.params:
            if style_of(param, items.get(param, []), spec) == ACCESS:
                style = ACCESS
        result = TableResult(spec, list(use.params), style, is_secret(spec, use.params))
        results.append(result)
        if use.ref.type in _UNASKABLE:
            result.problem = _UNASKABLE[use.ref.type]
            continue
        pname = {ACCESS: "smtpd_access_maps", TRANSPORT: "transport_maps"}.get(style, use.params[0])
        forms, why_none = key_forms(addr, style, spec, pname in parent_params, local)
        if not forms:
            result.problem = f"not asked: {why_none}"
            continue
        ask_table(asker, result, forms)
    return results


def learned_text(key: str, results: list[TableResult]) -> str:
    """What the anonymizer must learn beyond the site's files: the local parts printed alone
    (with and without the extension) and every answer, as table lines (secrets are not kept)."""
    lines = [f"{key} {key.rpartition('@')[0]}"] if "@" in key else []
    for r in results:
        lines += [a.key.rstrip("@") for a in r.answers if a.form.startswith("local part")]
        lines += [f"{a.key} {a.value}" for a in r.answers if a.found and a.value]
    return "\n".join(lines) + "\n"


def _text(key: str, results: list[TableResult]) -> str:
    out = [f"lookup of {key} in {len(results)} table(s)"]
    for r in results:
        out.append("")
        out.append(f"{r.spec}  ({', '.join(r.params)})")
        for a in r.answers:
            if not a.found:
                answer = "not found"
            elif r.secret:
                answer = "found (secret, masked)"
            else:
                answer = f"found: {a.value}"
            mark = "  <- Postfix uses this" if a is r.winner and len(r.answers) > 1 else ""
            out.append(f"  {a.key}  [{a.form}]  {answer}{mark}")
        if r.problem:
            out.append(
                f"  cannot ask: {r.problem}" if not r.problem.startswith("not asked") else f"  {r.problem}"
            )
        out += [f"  postmap warning: {w}" for w in r.warnings]
    return "\n".join(out) + "\n"


def _plain(key: str, results: list[TableResult]) -> dict[str, Any]:
    return {
        "key": key,
        "tables": [
            {
                "table": r.spec,
                "parameters": r.params,
                "style": r.style,
                "secret": r.secret,
                "asked": [
                    {
                        "key": a.key,
                        "form": a.form,
                        "found": a.found,
                        "answer": ("(secret, masked)" if r.secret else a.value) if a.found else None,
                    }
                    for a in r.answers
                ],
                "problem": r.problem or None,
                "warnings": r.warnings,
            }
            for r in results
        ],
    }


def render(key: str, results: list[TableResult], as_json: bool, clean: Callable[[str], str]) -> str:
    """The whole output in one pass through the anonymizer (its leak check refuses it whole)."""
    if as_json:
        return clean(json.dumps(_plain(key, results), indent=1, sort_keys=True) + "\n")
    return clean(_text(key, results))


def main(argv: list[str], env: Env) -> int:
    args = build_parser(env).parse_args(argv)
    key = args.key.strip()
    if not key or any(c.isspace() for c in key) or key.startswith("@") or key.endswith("@"):
        raise UsageError(
            "postfinger lookup: KEY must be an address (user@domain) or a domain, without spaces"
        )
    if args.verbose:
        logging.getLogger().setLevel(logging.DEBUG)
    ctx = env.live_context(Options(config_dir=args.config_dir))
    results = lookup(ctx, key)
    clean = text_filter(ctx, settings_from_args(args), learned_text(key, results))
    env.stdout.write(render(key, results, args.json, clean))
    if not results:
        env.stderr.write("postfinger lookup: the configuration names no lookup tables\n")
    if any(r.problem and not r.problem.startswith("not asked") for r in results):
        return int(ExitStatus.PARTIAL)
    return int(ExitStatus.OK)
