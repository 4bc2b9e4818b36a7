"""Reflow of hard-wrapped wire text on Reuters-21578: paragraphs before and after, and missed joins.

    .venv/bin/python bench/reflow.py [--corpus ../shared/corpus/reuters21578.jsonl.gz]

Before: every line of a body is a paragraph (what the article view showed).
After: `reflow(body, starts_cut=True)`, as `article_from_record` runs it.  A
"missed join" is a paragraph with no closing punctuation followed by one that
starts in lower case: the mark of a sentence left broken.  Most paragraphs with
no closing punctuation are rows of results tables, which are right as they are.
Baseline in the same run: the same counts for the bodies as stored (one line, one paragraph).
The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Timer, read_jsonl  # noqa: E402
from index.ingest.reflow import reflow  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "reuters21578.jsonl.gz"
ENDS = re.compile(r"""[.!?…]["'”’)\]]*$""")


def count(paragraph_lists: list[list[str]]) -> dict:
    paragraphs = unterminated = missed = 0
    for paragraphs_of_one in paragraph_lists:
        paragraphs += len(paragraphs_of_one)
        for this, following in zip(paragraphs_of_one, paragraphs_of_one[1:] + [""]):
            if not ENDS.search(this):
                unterminated += 1
                missed += following[:1].islower()
    return {"paragraphs": paragraphs, "without_closing_punctuation": unterminated, "missed_joins": missed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    bodies = [r["body"] for r in read_jsonl(args.corpus) if r.get("body", "").strip()]
    before = count([[line.strip() for line in body.split("\n") if line.strip()] for body in bodies])
    with Timer() as timer:
        reflowed = [reflow(body, starts_cut=True) for body in bodies]
    after = count([[p for p in body.split("\n\n") if p.strip()] for body in reflowed])
    print(f"{len(bodies)} bodies; reflow {timer.seconds:.1f} s")
    print(f"as stored (a line a paragraph): {before}")
    print(f"reflowed:                       {after}")
    print(json.dumps({"bodies": len(bodies), "seconds": round(timer.seconds, 2), "before": before, "after": after}))


if __name__ == "__main__":
    main()
