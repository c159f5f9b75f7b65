"""Anonymizing free text (logs, pasted configuration) for the subcommands: the site learned
from the live system, then the text learned and replaced in parts, each part leak-checked."""

from __future__ import annotations

from typing import Any, Callable

from postfinger_py.anonymize.settings import AnonSettings, _make_engine, _write_map
from postfinger_py.anonymize.spill import SPILL_ENTRIES, SpillStore
from postfinger_py.errors import PostfingerError
from postfinger_py.model import Context
from postfinger_py.textbytes import decode_text


def learn_live(engine: Any, ctx: Context) -> list[str]:
    """Teach `engine` the site's values from the live system: postconf, master.cf, the maps."""
    from postfinger_py.anonymize import learn
    from postfinger_py.files import FileProblem

    notes: list[str] = []
    params: list[tuple[str, str]] = []
    for args in (("-n",), ("-P",)):
        res = ctx.runner.run(list(ctx.postconf(*args)))
        if res.ok:
            for line in res.stdout.splitlines():
                name, sep, value = line.partition(" = ")
                if sep:
                    params.append((name.strip(), value.strip()))
        else:
            notes.append(res.describe_failure())
    res = ctx.runner.run(list(ctx.postconf("-h", "myhostname", "mydomain")))
    if res.ok:
        lines = res.stdout.splitlines()
        params += list(zip(("myhostname", "mydomain"), (ln.strip() for ln in lines)))
    res = ctx.runner.run(["uname", "-n"])
    if res.ok and res.stdout.strip():
        engine.learn_host(res.stdout.strip(), is_own_host=True)
    for name, value in params:
        learn.learn_parameter(engine, name, value)
    for name, kind, path in learn.map_paths(params):
        try:
            text = decode_text(ctx.files.read_bytes(path, limit=4 * 1024 * 1024))
        except FileProblem as exc:
            notes.append(f"{path}: {exc.reason} (its values are found only by the detectors)")
            continue
        if kind in ("mysql", "pgsql", "ldap", "sqlite", "memcache"):
            learn.learn_free_text(engine, text)
        elif "sasl" in name or "passw" in name:
            learn.learn_sasl_passwd(engine, text)
        else:
            learn.learn_map_text(engine, text)
    return notes


def text_filter(ctx: Context, settings: AnonSettings, map_text: str = "") -> Callable[[str], str]:
    """A function that anonymizes free text (for subcommands: logs, trace, qshape, pcap).

    The engine learns the site's own values from the live system reachable through `ctx`
    (postconf -n/-P, the host name, the lookup tables main.cf names), so the same values get the
    same replacements as in the report (with the same --anon-key). The function fails closed:
    if an original value it replaced survives in its output, it raises a PostfingerError
    (exit status LEAK_REFUSED) instead of returning the text. `map_text`: lookup table lines
    seen by other means (`postfinger lookup`), learned like a table's source.
    """
    parts = PartFilter(ctx, settings, map_text)

    def apply(text: str) -> str:
        parts.learn(text)
        out = parts.replace(text)
        parts.write_map()
        return out

    return apply


class PartFilter:
    """text_filter in two passes over an input read in parts: learn() from every part, then
    replace() every part with the engine frozen in between, each part leak-checked.

    One part learned and replaced is exactly text_filter's result. Between replaced parts only
    the memos are dropped (trim_caches), never what was learned or which replacement each value
    got, so a value maps the same in every part. `relearned` counts how often a leak check
    taught the engine a domain while replacing (see replace()): parts replaced before such a
    lesson must be replaced again for the output to be consistent (and checked against it).
    """

    def __init__(
        self,
        ctx: Context,
        settings: AnonSettings,
        map_text: str = "",
        engine: Any = None,
        spill_dir: str | None = None,
        spill_entries: int = SPILL_ENTRIES,
    ) -> None:
        """`engine`: the Engine to use instead of one made from `settings` (a test's).
        `spill_dir`: a private directory where what is remembered of each distinct value
        moves once it is more than `spill_entries` (spill.py), between parts."""
        from postfinger_py.anonymize.leak import LeakChecker

        self.settings = settings
        self.engine = engine if engine is not None else _make_engine(settings)
        learn_live(self.engine, ctx)
        if map_text:  # table lines the caller saw (postmap -q answers): their bare user names too
            from postfinger_py.anonymize import learn

            learn.learn_map_text(self.engine, map_text)
        self.engine.freeze()
        self._checker = LeakChecker(self.engine)
        self._store: SpillStore | None = None
        if spill_dir is not None:
            self._store = SpillStore(spill_dir, spill_entries)
            self.engine.state.spill_to(self._store)
            self._checker.spill_to(self._store)
            self.engine.spill_learned_to(self._store)
            self.engine.spill_hook = self._checker.spill_hook = self._store.spill
        self._unfrozen = False
        self.relearned = 0

    def learn(self, text: str) -> None:
        """Learn the site values this text shows by position (syslog hosts, table lines,
        credentials) and the domains of its addresses."""
        from postfinger_py.anonymize import learn

        engine = self.engine
        before = (len(engine.users), len(engine.short_hosts), len(engine.secrets))
        learn.learn_free_text(engine, text)
        domains = len(engine.learned_domains)
        # The domains of addresses are the site's (or its peers'): learned before replacing,
        # so `helo=<dom.tld>` is replaced like `<user@dom.tld>` (`tld` is no public suffix)
        # and no replacement label lands on another learned name (`b.com` -> `d.com`).
        for domain in learn.address_domains(text):
            engine.learn_host(domain)
        if (len(engine.users), len(engine.short_hosts), len(engine.secrets), len(engine.learned_domains)) != (
            *before,
            domains,
        ):
            self._unfrozen = True
        if self._store is not None:
            # What this part taught goes to the leak check now and, past the limit, to disk:
            # a log of many distinct senders learns a domain per line.
            self._checker.refresh()
            self._store.spill()

    def replace(self, text: str, first_line: int = 1, where: str = "") -> str:
        """The anonymized text; a PostfingerError (LEAK_REFUSED) if an original survives.

        `first_line`, `where`: the text's first line number and the input it is from, for the
        message. An original domain that survives bare (`helo=<dom.tld>` where `user@dom.tld`
        was replaced) is learned as a site value and the text replaced once more, whole.
        """
        from postfinger_py.errors import ExitStatus

        engine = self.engine
        if self._unfrozen:
            engine.freeze()
            self._unfrozen = False
        out = engine.apply(text)
        self._checker.refresh()
        problem = self._checker.describe(out, source=text, first_line=first_line)
        if problem and _learn_replaced_domains(engine):
            # A name first seen in an address (`user@dom.tld`, not a public suffix) is now a
            # site value: replaced everywhere, bare (`helo=<dom.tld>`) too. Once more, whole.
            self.relearned += 1
            out = engine.apply(text)
            self._checker.refresh()
            problem = self._checker.describe(out, source=text, first_line=first_line)
        if problem:
            place = f" of {where}" if where else ""
            raise PostfingerError(
                f"refusing to print: {problem}{place}; nothing was written "
                "(please report this as a postfinger bug)",
                ExitStatus.LEAK_REFUSED,
            )
        return out  # type: ignore[no-any-return]

    def trim_caches(self) -> None:
        """Between parts: drop the engine's memos, and move what it remembers of each value
        to disk if that has grown large (with a spill_dir): the same output."""
        self.engine.trim_caches()
        if self._store is not None:
            self._store.spill()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def write_map(self) -> None:
        """--anon-map FILE (mode "on" only): every original -> replacement so far."""
        if self.settings.map_file and self.settings.mode == "on":
            try:
                _write_map(self.settings.map_file, self.engine.mapping())
            except PostfingerError as exc:
                raise PostfingerError(f"the anonymization map was not written: {exc.message}") from None


def _learn_replaced_domains(engine: Any) -> bool:
    """Learn every domain name the engine replaced somewhere; whether any was new."""
    before = len(engine.learned_domains)
    for kind, original in engine.replaced:  # (learning adds no replacement: walked as it is)
        if kind == "domain name" and original not in engine.learned_domains:
            engine.learn_host(original.replace("\\.", "."))
    if len(engine.learned_domains) == before:
        return False
    engine.freeze()
    return True
