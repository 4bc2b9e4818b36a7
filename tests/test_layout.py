"""The layout shows the architecture, and these checks keep it so.

- `index/` knows nothing of HTTP; `config/` imports nothing of ours.
- Whoosh below its public API is used only in `index/store/` (its adapter checks
  itself against the installed Whoosh when an index opens).
- No module grows past MAX_LINES: a module has one job.
- Benchmarks call the Index facade, not the engine inside it (the NER benchmark
  scores the model itself on CoNLL's tokens).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400
PRIVATE_WHOOSH = re.compile(
    r"\._(btexts|terms|postfile|dataoffset|nextoffset|compression|byteids|text_to_bytes|perdoc|cached_reader|dbfile|"
    r"basepos|fixedlen|typecode|maxid|read_toc|finalize_segment|close_segment|commit_toc|finish|blocklength|"
    r"next_block|doccount|deleted|fieldlengths|segid)\b")
BENCH_MAY_IMPORT = {"bench/entities.py": {"index.ingest", "index.ingest.ner"},  # the models themselves
                    "bench/embeddings.py": {"index.text", "index.ingest.passages"},
                    "bench/fusion.py": {"index.text", "index.ingest.passages"},
                    "bench/vector_cache.py": {"index.text", "index.ingest.passages", "index.ingest.documents",
                                              "index.ingest.outlets", "index.text.embeddings"},
                    # the story-family and reflow steps of ingest, measured on their own (as NER above)
                    "bench/families.py": {"index.ingest", "index.ingest.outlets"},
                    "bench/reflow.py": {"index.ingest.reflow"},
                    "bench/quotes.py": {"index.text.analysis"},  # what folding makes of a span
                    "bench/adapt_model.py": {"index.ingest.outlets", "index.ingest.passages"}}  # the engine's passages


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def imports(path: Path) -> list[str]:
    return re.findall(r"^\s*(?:from|import)\s+([\w.]+)", path.read_text(encoding="utf-8"), flags=re.M)


@pytest.mark.parametrize("path", python_files("index"), ids=lambda p: str(p.relative_to(ROOT)))
def test_index_knows_nothing_of_http(path):
    assert not [m for m in imports(path) if m.split(".")[0] in ("flask", "service", "flask_smorest", "marshmallow")]


@pytest.mark.parametrize("path", python_files("config"), ids=lambda p: str(p.relative_to(ROOT)))
def test_config_imports_nothing_of_ours(path):
    assert not [m for m in imports(path) if m.split(".")[0] in ("index", "service", "bench")]


@pytest.mark.parametrize("path", [p for p in python_files("index", "service", "bench", "config")
                                  if "index/store" not in str(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_private_whoosh_names_only_in_the_store(path):
    found = PRIVATE_WHOOSH.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)} reads Whoosh's private {sorted(set(found))}"


@pytest.mark.parametrize("path", python_files("index", "service", "config"), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_over_the_limit(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by job"


@pytest.mark.parametrize("path", python_files("bench"), ids=lambda p: str(p.relative_to(ROOT)))
def test_benchmarks_use_the_facade(path):
    allowed = BENCH_MAY_IMPORT.get(str(path.relative_to(ROOT)), set())
    inner = [m for m in imports(path) if m.startswith("index.") and m not in allowed]
    assert not inner, f"{path.relative_to(ROOT)} reaches past the Index facade: {inner}"
