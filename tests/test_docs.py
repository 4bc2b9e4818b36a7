"""Docs kept honest: every setting and every CLI command is in the README."""

from config.settings import describe
from service.cli import cli

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    missing = [name for name, _, _ in describe() if f"`{name}`" not in README]
    assert not missing


def test_every_command_is_documented():
    assert not [name for name in cli.commands if f"newsindex {name}" not in README]


def test_two_commands_are_documented():
    assert "make run" in README and "make test" in README
