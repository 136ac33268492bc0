"""The `screener` command loads a command's module only when that command runs."""
from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from screener.cli import COMMANDS, command_help, main

HEAVY = ("flask", "redis", "rq", "screener.services", "screener.store", "twilio.rest", "argon2")


def _modules_loaded_by(*args: str) -> list[str]:
    code = ("import sys; from screener.cli import main\n"
            "try:\n    main([" + ", ".join(repr(a) for a in args) + "])\nexcept SystemExit:\n    pass\n"
            "import json; print(json.dumps(sorted(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return json.loads(result.stdout.splitlines()[-1])


def test_help_lists_every_command_without_loading_the_web_app_or_the_stores():
    loaded = _modules_loaded_by("--help")
    assert [m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY)] == []
    assert not [m for m in loaded if m.startswith("screener.cli.") and m != "screener.cli.context"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_is_found_and_listed_with_its_own_help(name):
    command = main.get_command(click.Context(main), name)
    assert isinstance(command, click.Command) and command.name == name
    assert command.help.split() == command_help(*COMMANDS[name]).split()  # the same words; click keeps indents


def test_an_unknown_command_is_refused():
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["nonsense"])
    assert result.exit_code == 2 and "No such command 'nonsense'" in result.output
