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
    lines = [json.loads(line) for line in again.output.splitlines()]
    assert lines[0]["batch"] == 1 and lines[-1]["unchanged"] == 5  # batch lines, then the report
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


def test_paths_come_from_settings_not_the_current_folder(runner, tmp_path, monkeypatch):
    from conftest import ROOT
    from config.settings import Settings
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSINDEX_INDEX_DIR", "NEWSINDEX_KEYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.index_dir == ROOT / "var" / "index" and settings.keys_file == ROOT / "var" / "keys.json"
    keys = tmp_path / "elsewhere" / "keys.json"
    runner.invoke(cli, ["keys", "create", "--name", "cms", "--scope", "write", "--keys-file", str(keys)])
    monkeypatch.setenv("NEWSINDEX_KEYS_FILE", str(keys))
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert runner.invoke(cli, ["keys", "list"]).output.startswith("cms\twrite")


def test_stats_and_the_closing_summary(runner, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text("".join(f'{{"id": "t{i}", "title": "No text {i}"}}\n' for i in range(7))
                                    + '{"id": "ok", "body": "Some text about Meghri."}\nnot json\n')
    (folder / "b.pdf").write_bytes(b"%PDF")
    index = tmp_path / "index"
    result = runner.invoke(cli, ["ingest", str(folder), "--index", str(index), "--no-entities"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "1 added" in lines[0] and "9 skipped" in lines[0]
    assert any(line.strip().startswith("article has no body text (7): ") and "and 4 more" in line for line in lines)
    assert any(line.strip().startswith("invalid JSON (1)") for line in lines)
    assert len(lines) <= 6  # a summary, not a line per skipped article
    stats = runner.invoke(cli, ["stats", "--index", str(index), "--json"])
    figures = json.loads(stats.output)
    assert figures["articles"] == 1 and figures["passages"] >= 1 and figures["index"] == str(index)
    text = runner.invoke(cli, ["stats", "--index", str(index)]).output
    assert "articles     1" in text and "last commit" in text
    as_json = runner.invoke(cli, ["ingest", str(folder), "--index", str(index), "--no-entities", "--json"])
    report = json.loads(as_json.output.strip().splitlines()[-1])
    assert report["unchanged"] == 1 and report["skipped_by_reason"]["article has no body text"]["count"] == 7


def test_optimize_merges_the_segments_of_several_ingests(runner, tmp_path, monkeypatch):
    index = tmp_path / "index"
    monkeypatch.setenv("NEWSINDEX_MERGE", "off")
    for path in sorted(SEEDS.iterdir())[:3]:  # one segment each
        assert runner.invoke(cli, ["ingest", str(path), "--index", str(index), "--no-entities"]).exit_code == 0
    result = runner.invoke(cli, ["optimize", "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("3 -> 1 segments (1 merge(s), ")
    assert json.loads(runner.invoke(cli, ["stats", "--index", str(index), "--json"]).output)["segments"] == 1
    assert runner.invoke(cli, ["optimize", "--index", str(index), "--segments", "0"]).exit_code == 2  # a usage error


def test_a_field_dropped_with_a_warning_is_summarised_not_a_crash(runner, tmp_path):
    """An article kept without a bad field (a url that is not http) is a warning in the closing summary."""
    data = tmp_path / "a.jsonl"
    data.write_text('{"id": "w1", "title": "Oil", "body": "Crude oil rose.", "url": "javascript:alert(1)"}\n'
                    '{"id": "w2", "title": "Gold", "body": "Gold rose.", "url": "ftp://example.org/x"}\n')
    result = runner.invoke(cli, ["ingest", str(data), "--index", str(tmp_path / "index"), "--no-entities"])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output and "Traceback" not in result.output
    assert any(line.strip().startswith("warnings (2): e.g. ") and "url dropped" in line
               for line in result.output.splitlines())
