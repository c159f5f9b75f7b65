"""The man page (postfinger.1) and the bash completion, written from the real parsers.

`python -m postfinger_py.manpage` rewrites postfinger_py/data/postfinger.1 and
postfinger_py/data/postfinger.bash; a test checks the committed files equal what this prints, so
the page and the completion list exactly the options the program accepts.
"""

from __future__ import annotations

import argparse
import importlib
import io
import re
import sys
from pathlib import Path

from postfinger_py.env import Env

DATA = Path(__file__).resolve().parent / "data"

EXAMPLES = (
    ("Before posting to postfix-users: the report, anonymized, on the terminal", "postfinger"),
    ("Only what looks wrong", "postfinger check"),
    (
        "The story of one message and the log window of the last two hours",
        "postfinger --since 2h --trace 4C1A2B3C4D5",
    ),
    (
        "Mail the report (and the bundle) to yourself through the local sendmail",
        "postfinger --mail-to you@example.org",
    ),
    (
        "A bundle for a support ticket, with the same replacements as last time",
        "postfinger --bundle report.tar.gz --anon-key ~/.postfinger.key",
    ),
    ("The first problem lines of the log, as JSON", "postfinger logs --json"),
    ("Anonymize a pasted log excerpt the same way", "postfinger anonymize < excerpt.txt"),
)


def _env() -> Env:
    return Env(stdout=io.StringIO(), stderr=io.StringIO(), environ={})


def parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    """("", the report's parser), then (name, parser) of every subcommand, in SUBCOMMANDS order."""
    from postfinger_py.cli import SUBCOMMANDS
    from postfinger_py.commands.report import build_parser

    out: list[tuple[str, argparse.ArgumentParser]] = [("", build_parser(_env()))]
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        build = getattr(module, "build_parser", None) or getattr(module, "_parser", None)
        if build is None:  # a subcommand that takes the report's options (check)
            parser = build_parser(_env())
            parser.prog = f"postfinger {name}"
        else:
            try:
                parser = build(_env())
            except TypeError:
                parser = build()
        out.append((name, parser))
    return out


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and a.help != argparse.SUPPRESS]


def _roff(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + line) if line.startswith((".", "'")) else line for line in text.splitlines())


def _flags(action: argparse.Action) -> str:
    meta = action.metavar or (action.dest.upper() if action.nargs != 0 else "")
    if action.choices and not action.metavar:
        meta = "{" + ",".join(str(c) for c in action.choices) + "}"
    parts = []
    for flag in action.option_strings:
        parts.append(
            f"\\fB{_roff(flag)}\\fR" + (f" \\fI{_roff(str(meta))}\\fR" if meta and action.nargs != 0 else "")
        )
    return ", ".join(parts)


def _help(action: argparse.Action) -> str:
    text = str(action.help or "")
    if "%(default)" in text:
        text = text % {"default": action.default}
    return _roff(re.sub(r"\s+", " ", text).strip())


def man_page() -> str:
    from postfinger_py import __version__
    from postfinger_py.commands.report import DESCRIPTION, EPILOG

    out = io.StringIO()
    w = out.write
    w(f'.TH POSTFINGER 1 "" "postfinger-py {__version__}" "User Commands"\n')
    w(".SH NAME\npostfinger \\- a Postfix problem report that is safe to post\n")
    w(
        ".SH SYNOPSIS\n.B postfinger\n[\\fIoptions\\fR]\n.br\n.B postfinger\n"
        "\\fISUBCOMMAND\\fR [\\fIoptions\\fR]\n"
    )
    w(".SH DESCRIPTION\n" + _roff(re.sub(r"\s+", " ", DESCRIPTION).strip()) + "\n")
    all_parsers = parsers()
    report = all_parsers[0][1]
    for group in report._action_groups:
        actions = [a for a in group._group_actions if a.option_strings and a.help != argparse.SUPPRESS]
        if not actions:
            continue
        title = (
            "OPTIONS"
            if group.title in ("options", "optional arguments")
            else f"OPTIONS: {str(group.title).upper()}"
        )
        w(f".SH {title}\n")
        for a in actions:
            w(f".TP\n{_flags(a)}\n{_help(a)}\n")
    w(".SH SUBCOMMANDS\n")
    for name, parser in all_parsers[1:]:
        w(f".SS postfinger {name}\n")
        w(_roff(re.sub(r"\s+", " ", parser.description or "").strip()) + "\n")
        if name == "check":
            w(".PP\nIt takes the report's options (above), except \\-\\-only, \\-\\-skip and \\-\\-all.\n")
            continue
        positional = [a for a in parser._actions if not a.option_strings]
        for a in positional:
            w(f".TP\n\\fI{_roff(str(a.metavar or a.dest))}\\fR\n{_help(a)}\n")
        for a in _options(parser):
            if a.dest == "help":
                continue
            w(f".TP\n{_flags(a)}\n{_help(a)}\n")
        if parser.epilog:  # its examples and exit statuses, laid out as --help shows them
            w(".PP\n.nf\n" + _roff(parser.epilog.strip("\n")) + "\n.fi\n")
    status = EPILOG.split("exit status:", 1)[1]
    w(".SH EXIT STATUS\n")
    for code, words in re.findall(r"(\d+) ([^,]+?)(?=,\s*\d+ |\s*$)", re.sub(r"\s+", " ", status.strip())):
        w(f".TP\n\\fB{code}\\fR\n{_roff(words.strip())}\n")
    w(".SH EXAMPLES\n")
    for what, command in EXAMPLES:
        w(f".PP\n{_roff(what)}:\n.RS\n.B {_roff(command)}\n.RE\n")
    w(
        ".SH SEE ALSO\n.BR postconf (1),\n.BR postconf (5),\n.BR postmap (1),\n.BR qshape (1),\n"
        ".BR postqueue (1);\nhttps://www.postfix.org/DEBUG_README.html\n"
    )
    return out.getvalue()


def bash_completion() -> str:
    all_parsers = parsers()
    words: dict[str, list[str]] = {}
    takes_value: dict[str, list[str]] = {}
    for name, parser in all_parsers:
        flags = sorted(f for a in _options(parser) for f in a.option_strings)
        words[name or "_report"] = flags
        takes_value[name or "_report"] = sorted(
            f for a in _options(parser) if a.nargs != 0 for f in a.option_strings
        )
    subs = " ".join(n for n, _ in all_parsers[1:])
    lines = [
        "# bash completion for postfinger (written by python -m postfinger_py.manpage)",
        "_postfinger() {",
        "    local cur prev sub i",
        '    cur="${COMP_WORDS[COMP_CWORD]}"',
        '    prev="${COMP_WORDS[COMP_CWORD-1]}"',
        "    sub=_report",
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "${COMP_WORDS[i]}" in',
        f"            {'|'.join(n for n, _ in all_parsers[1:])}) sub=${{COMP_WORDS[i]}}; break;;",
        "            -*) ;;",
        "            *) break;;",
        "        esac",
        "    done",
        '    case "$sub" in',
    ]
    for key in words:
        valued = "|".join(takes_value[key])
        lines.append(f"        {key})")
        if valued:
            lines.append(
                f'            case "$prev" in {valued}) COMPREPLY=($(compgen -f -- "$cur")); return;; esac'
            )
        opts = " ".join(words[key])
        extra = f" {subs}" if key == "_report" else ""
        lines.append(f'            COMPREPLY=($(compgen -W "{opts}{extra}" -- "$cur"));;')
    lines += ["    esac", "}", "complete -o default -F _postfinger postfinger", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    DATA.mkdir(exist_ok=True)
    (DATA / "postfinger.1").write_text(man_page())
    (DATA / "postfinger.bash").write_text(bash_completion())
    print(f"wrote {DATA / 'postfinger.1'} and {DATA / 'postfinger.bash'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
