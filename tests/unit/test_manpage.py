"""The man page and the bash completion are written from the real parsers, and kept in step."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from postfinger_py import manpage

REGENERATE = "regenerate with: python -m postfinger_py.manpage"


def test_the_committed_man_page_is_what_the_parsers_say() -> None:
    assert (manpage.DATA / "postfinger.1").read_text() == manpage.man_page(), REGENERATE


def test_the_committed_completion_is_what_the_parsers_say() -> None:
    assert (manpage.DATA / "postfinger.bash").read_text() == manpage.bash_completion(), REGENERATE


def test_every_option_of_every_command_is_in_the_page() -> None:
    page = manpage.man_page()
    for name, parser in manpage.parsers():
        for action in parser._actions:
            for flag in action.option_strings:
                assert flag.replace("-", "\\-") in page, (name, flag)
        if name:
            assert f".SS postfinger {name}\n" in page
        # each subcommand's examples and exit statuses, as its --help shows them
        if name not in ("", "check") and parser.epilog:
            section = page.split(f".SS postfinger {name}\n")[1].split("\n.S")[0]
            first_example = next(
                line.strip().split("  ")[0]
                for line in parser.epilog.splitlines()
                if line.strip().startswith(f"postfinger {name}")
            )
            assert "examples:" in section and first_example.replace("-", "\\-") in section
            assert "exit status:" in section, name
    assert ".SH EXIT STATUS" in page and "\\fB130\\fR" in page


@pytest.mark.parametrize(
    "words, expected",
    [
        (["postfinger", "lo"], "logs"),
        (["postfinger", "logs", "--js"], "--json"),
        (["postfinger", "--mail"], "--mail-to"),
    ],
)
def test_bash_completes_subcommands_and_their_options(words: list[str], expected: str) -> None:
    script = (
        f"source {manpage.DATA / 'postfinger.bash'}; COMP_WORDS=({' '.join(words)}); "
        f"COMP_CWORD={len(words) - 1}; _postfinger; printf '%s\\n' \"${{COMPREPLY[@]}}\""
    )
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert expected in out.stdout.split()


def test_the_man_page_is_valid_roff() -> None:
    if shutil.which("groff") is None:
        pytest.skip("groff is not installed here")
    res = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z", str(manpage.DATA / "postfinger.1")],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0 and res.stderr == "", res.stderr
