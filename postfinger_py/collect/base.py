"""What a collector is: a small class that declares its section and collects it from a Context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from postfinger_py.model import Context, Section, Status


class Collector:
    """Subclass, set the class attributes, implement collect()."""

    name: ClassVar[str]  # section id used by --only/--skip and as the bundle file prefix
    title: ClassVar[str]  # heading in the report
    description: ClassVar[str]  # one line for --list-sections
    optional: ClassVar[bool] = False  # only with --all or --only
    order: ClassVar[int] = 100  # position in the report: the order a helper reads
    runs_after_others: ClassVar[bool] = False  # reads the other sections (collect_from)

    def collect(self, ctx: Context) -> Section:
        raise NotImplementedError

    def collect_from(self, ctx: Context, sections: Sequence[Section]) -> Section:
        """For a collector that runs after the others: its section, from theirs."""
        return self.collect(ctx)

    def section(self, status: Status = Status.OK, **kwargs: object) -> Section:
        """A Section of this collector's name and title."""
        return Section(name=self.name, title=self.title, status=status, **kwargs)  # type: ignore[arg-type]
