"""Rendering is a pure function from plain report data to text (Jinja2) or JSON."""

from __future__ import annotations

import json
import os
from typing import Any

from postfinger_py.model import Report


def _template_dir() -> str:
    """templates/ ships inside the wheel as postfinger_py.templates; a checkout has it at the top.

    The checkout's own templates come first: an editable install maps postfinger_py.templates
    to the tree it was installed from, which need not be the tree this code is running from.
    """
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "templates")
    if os.path.isfile(os.path.join(here, "report.txt.j2")) and os.path.isfile(
        os.path.join(here, "__init__.py")
    ):
        return here
    try:
        from importlib import resources

        path = str(resources.files("postfinger_py.templates"))
        if os.path.isfile(os.path.join(path, "report.txt.j2")):
            return path
    except (ImportError, ModuleNotFoundError, TypeError, AttributeError):
        pass
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "templates")


def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dir()),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["ljust"] = lambda value, width: str(value).ljust(int(width))
    env.filters["rjust"] = lambda value, width: str(value).rjust(int(width))
    return env


def render_text(report: Report) -> str:
    """The plain-text report. Every section has its own template under templates/sections/."""
    env = environment()
    plain = report.to_plain()
    sections = []
    for section in plain["sections"]:
        name = f"sections/{section['name']}.txt.j2"
        body = ""
        if section["data"]:  # a failed section has only its notes to show
            template = env.get_template(name if _exists(name) else "sections/generic.txt.j2")
            body = template.render(section=section)
        sections.append({**section, "body": body.rstrip("\n")})
    return str(env.get_template("report.txt.j2").render(report=plain, sections=sections, warn=report.warn))


def _exists(name: str) -> bool:
    return os.path.isfile(os.path.join(_template_dir(), name))


def render_json(report: Report) -> str:
    """The same data as the text report, with stable keys."""
    data: dict[str, Any] = report.to_plain()
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
