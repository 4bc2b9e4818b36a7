"""Helpers for the performance benchmarks (issue 7): a replicated Reuters corpus,
peak memory, percentiles, and raw Whoosh doing the same work as newsindex.

    reuters_records(replicate)   Reuters-21578 records, copied N times with distinct
                                 ids (r{copy}-{id}) and dates shifted by whole years
    vm_hwm_mb / vm_rss_mb        peak / current resident memory of a process (/proc)
    private_mb                   its own part of that (anonymous pages, not the mapped index)
    percentile, summarise        p50/p95/p99 of a list of milliseconds
    run_side                     run one side of a benchmark in a fresh interpreter,
                                 so its peak memory is its own

Kept apart from bench/common.py (shared with the relevance benchmark) so the two
can change independently; nothing here knows Flask.
"""

from __future__ import annotations

import gzip
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REUTERS = ROOT.parent / "shared" / "corpus" / "reuters21578.jsonl.gz"


def reuters_records(replicate: int = 1, path: Path = REUTERS) -> Iterator[dict]:
    """The Reuters records, `replicate` times: copy c has ids `r{c}-{id}` and dates moved c years on.

    Copy 0 keeps the corpus as it is (ids `r0-{id}`), so 1x is the real archive.
    """
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    for copy in range(replicate):
        for record in records:
            shifted = dict(record, id=f"r{copy}-{record['id']}", source="Reuters")
            date = record.get("date") or ""
            if copy and len(date) >= 4 and date[:4].isdigit():
                shifted["date"] = f"{int(date[:4]) + copy:04d}{date[4:]}"
            yield shifted


def _status_mb(field: str, pid: int | str = "self") -> float:
    """A `VmXXX:` line of /proc/<pid>/status, in MB (0 when unreadable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def vm_hwm_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM), not ru_maxrss, which children and forks blur."""
    return _status_mb("VmHWM", pid)


def vm_rss_mb(pid: int | str = "self") -> float:
    return _status_mb("VmRSS", pid)


def private_mb(pid: int | str = "self") -> float:
    """Resident memory of the process's own (RssAnon): RSS less the shared, memory-mapped index pages."""
    return _status_mb("RssAnon", pid)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for an empty list)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(ms: list[float]) -> dict:
    """p50/p95/p99 and count of a list of milliseconds, rounded for printing."""
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2)}


def run_side(script: Path, args: list[str]) -> dict:
    """Run `script --side ...` in a fresh interpreter and return the JSON object it prints last."""
    proc = subprocess.run([sys.executable, str(script), *args], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{script.name} {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def segments_in(metrics: str) -> int | None:
    """The index's segment count in a /metrics answer (Prometheus text), or None without one."""
    for line in metrics.splitlines():
        if line.startswith("newsindex_index_segments"):
            return int(float(line.split()[-1]))
    return None


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 1e6
