"""What `newsindex ingest` shows while it works and when it is done.

On a terminal: a progress bar (rich) over the articles the input holds,
counted beforehand (JSON Lines files by their lines, other files as one), that
moves as each batch is committed; then a closing summary: added, updated,
unchanged, and skipped grouped by reason with the first few paths of each.
Skipped lines are not printed one by one (a corpus with 1,799 articles without
text would flood the terminal); `--verbose` lists them all.

For scripts: `--json` prints one JSON line per committed batch (with the ids it
committed: an id printed there survives a crash) and the report as the last
line; `--progress` prints the same batch lines before the text summary.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Iterable

import click

FIRST_PATHS = 3  # paths shown per skip reason
JSONL = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")


def estimate_total(paths: Iterable[Path]) -> int:
    """How many articles the input holds, roughly: lines of JSON Lines files, one per other file."""
    from index.ingest.documents import iter_files

    total = 0
    for path in iter_files(paths):
        name = path.name.lower()
        if name.endswith(JSONL):
            opener = gzip.open if name.endswith(".gz") else open
            try:
                with opener(path, "rb") as handle:
                    total += sum(1 for line in handle if line.strip())
            except (OSError, EOFError, ValueError):
                total += 1
        else:
            total += 1
    return total


def reason_group(reason: str) -> str:
    """The kind of a skip reason, without its details: "not UTF-8 (byte 0xff at 3)" -> "not UTF-8"."""
    head = reason.split(": ", 1)[0]
    return re.sub(r"\s*\(.*\)\s*$", "", head).strip() or reason


def skipped_by_reason(skipped) -> dict[str, dict]:
    """{reason: {"count": n, "first": [the first few paths]}}, most frequent reason first."""
    groups: dict[str, list[str]] = defaultdict(list)
    for item in skipped:
        groups[reason_group(item.reason)].append(item.path)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return {reason: {"count": len(paths), "first": paths[:FIRST_PATHS]} for reason, paths in ordered}


def batch_line(number: int, report) -> str:
    return json.dumps({"batch": number, "committed": report.ids, "added": report.added, "updated": report.updated,
                       "unchanged": report.unchanged, "skipped": len(report.skipped)})


def report_json(report, index_dir: Path) -> str:
    return json.dumps({
        "index": str(index_dir), "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "skipped_by_reason": skipped_by_reason(report.skipped),
        "warnings": list(getattr(report, "warnings", [])),
        "passages": report.passages, "without_date": report.without_date, "seconds": round(report.seconds, 3),
    })


def summary_lines(report, index_dir: Path, verbose: bool = False) -> list[str]:
    """The closing summary, for people."""
    lines = [f"Ingested into {index_dir}: {report.summary()}"]
    for reason, group in skipped_by_reason(report.skipped).items():
        more = f", and {group['count'] - len(group['first']):,} more" if group["count"] > len(group["first"]) else ""
        lines.append(f"    {reason} ({group['count']:,}): {', '.join(group['first'])}{more}")
    warnings = list(getattr(report, "warnings", []))
    if warnings:
        lines.append(f"    warnings ({len(warnings):,}): e.g. {warnings[0]}")
    if verbose:
        lines += [f"  skipped {s.path}: {s.reason}" for s in report.skipped]
        lines += [f"  warning {w}" for w in warnings]
    return lines


class Progress:
    """A rich progress bar on stderr, advanced by each committed batch; a no-op when off."""

    def __init__(self, enabled: bool, total: int | None):
        self.bar = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        self.bar = RichProgress(TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("articles"), TimeElapsedColumn(), TimeRemainingColumn(),
                                console=Console(stderr=True), transient=False)
        self.task = self.bar.add_task("ingest", total=total)

    def __enter__(self) -> "Progress":
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()

    def advance(self, report) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, report.added + report.updated + report.unchanged + len(report.skipped))


def echo_lines(lines: list[str], err: bool = False) -> None:
    for line in lines:
        click.echo(line, err=err)
