#!/usr/bin/env python
""""Did you mean" on typos: words of Reuters articles with an **even** id, each misspelt once, searched alone.

A journalist mistypes a word; the answer's `suggestion` should give it back.  For `--words`
random lower-case words of six letters or more from the stored passages of even-id articles
(odd ids are kept for the final check), one edit is made inside the word (a letter dropped,
changed, or two swapped; first and last letters kept) and the misspelt word is searched
through `Index.search`.  Reported: right (the suggestion is the word), wrong (another word),
none (no suggestion: the typo may itself be a word of the archive, or nothing is near).

    python bench/typos.py --index DIR [--words 600] [--seed 3] [--json]

DIR is an index holding Reuters (e.g. `newsindex ingest reuters21578.jsonl.gz --source Reuters`).
It uses the facade only.
"""

from __future__ import annotations

import random
import re
import string
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import even_id_articles, report, start_sampled  # noqa: E402
from index import Index, SearchRequest  # noqa: E402

WORD = re.compile(r"[a-z]{6,}")


def draw_words(index: Index, count: int, rng: random.Random) -> list[str]:
    words: list[str] = []
    for article in even_id_articles(index, rng, 100 * count if count else 0):
        found = [w for p in article.passages for w in re.findall(r"\b[a-z]+\b", p.text) if WORD.fullmatch(w)]
        if found:
            words.append(rng.choice(found))
            if len(words) == count:
                break
    return words


def misspell(word: str, rng: random.Random) -> str:
    """One edit inside the word: a letter dropped, changed or swapped with the next (never the first or last)."""
    at = rng.randrange(1, len(word) - 2)
    kind = rng.choice(("drop", "change", "swap"))
    if kind == "drop":
        return word[:at] + word[at + 1:]
    if kind == "change":
        return word[:at] + rng.choice([c for c in string.ascii_lowercase if c != word[at]]) + word[at + 1:]
    return word[:at] + word[at + 1] + word[at] + word[at + 2:]


def main(argv: list[str] | None = None) -> int:
    args, index, rng, words = start_sampled(__doc__, "words", 600, 3, draw_words, argv)
    outcome: Counter = Counter()
    wrong = []
    for word in words:
        typo = misspell(word, rng)
        if typo == word:
            continue
        suggestion = index.search(SearchRequest(q=typo, facets=False, feedback=False, mode="lexical")).suggestion
        got = suggestion["q"] if suggestion else None
        kind = "none" if got is None else "right" if got == word else "wrong"
        outcome[kind] += 1
        if kind == "wrong":
            wrong.append({"typed": typo, "meant": word, "suggested": got})
    total = sum(outcome.values())
    figures = {"typos": total, **{k: outcome[k] for k in ("right", "wrong", "none")},
               "right_share": round(outcome["right"] / total, 4), "wrong_share": round(outcome["wrong"] / total, 4),
               "wrong_examples": wrong[:15]}
    report([f"{total} typos of words from even-id articles: right {outcome['right']} ({figures['right_share']:.1%}), "
            f"wrong {outcome['wrong']} ({figures['wrong_share']:.1%}), none {outcome['none']}"],
           wrong[:15], figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
