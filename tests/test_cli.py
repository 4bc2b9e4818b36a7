"""The newsindex command, driven in-process with click's CliRunner."""

from __future__ import annotations

import json

from service.cli import cli

from conftest import SEEDS


def test_ingest_then_search(runner, tmp_path):
    index = tmp_path / "index"
    result = runner.invoke(cli, ["ingest", str(SEEDS), "--index", str(index), "--no-entities"])
    assert result.exit_code == 0, result.output
    assert "5 added, 0 updated" in result.output
    again = runner.invoke(cli, ["ingest", str(SEEDS), "--index", str(index), "--no-entities", "--json"])
    assert json.loads(again.output)["unchanged"] == 5
    found = runner.invoke(cli, ["search", "Kalbajar", "--index", str(index), "--json"])
    assert found.exit_code == 0
    assert json.loads(found.output)["total"] == 2
    text = runner.invoke(cli, ["search", '"joint monitoring centre"', "--index", str(index)])
    assert "1 article(s)" in text.output and "[joint monitoring centre]" in text.output


def test_bad_files_are_reported_and_the_rest_ingested(runner, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.txt").write_text("Headline here\n\nBody text of the article.", encoding="utf-8")
    (folder / "bad.txt").write_bytes(b"\xff\xfe\x00\x00")
    result = runner.invoke(cli, ["ingest", str(folder), "--index", str(tmp_path / "index"), "--no-entities"])
    assert result.exit_code == 0
    assert "1 added" in result.output and "1 skipped" in result.output
    assert "bad.txt" in result.output


def test_user_mistakes_are_one_line_errors(runner, tmp_path):
    missing = runner.invoke(cli, ["search", "x", "--index", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "no index at" in missing.output and "Traceback" not in missing.output
    runner.invoke(cli, ["ingest", str(SEEDS), "--index", str(tmp_path / "i"), "--no-entities"])
    bad = runner.invoke(cli, ["search", "*stan", "--index", str(tmp_path / "i")])
    assert bad.exit_code == 1 and "wildcard" in bad.output


def test_every_command_has_help_with_an_example(runner):
    for name, command in cli.commands.items():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        if name != "keys":
            assert "Example:" in result.output, name
