import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from gajax.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "gajax").rglob("__init__.py")}
    assert found - listed == set(), "add these packages to pyproject.toml"
    assert "gajax.configs" in listed


def test_help_lists_every_command():
    text = build_parser().format_help()
    for name in COMMANDS:
        assert re.search(rf"\b{re.escape(name)}\b", text)


def test_every_command_resolves_and_prints_its_config(capsys):
    for name, cmd in COMMANDS.items():
        if cmd.default_config is None:
            continue
        assert main([name, "--print-config"]) == 0, name
        assert capsys.readouterr().out.strip(), name


def test_config_error_exit_code(capsys):
    name = next(n for n, c in COMMANDS.items() if c.default_config)
    assert main([name, "no_such_key=1"]) == 2
    assert "unknown config key no_such_key" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--help"], ["chat", "--help"]])
def test_console_help(args):
    out = subprocess.run([sys.executable, "-m", "gajax.cli", *args], capture_output=True, text=True, check=True)
    assert "usage: gajax" in out.stdout
