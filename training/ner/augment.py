"""Make extra CoNLL-style training sentences from the train split (for ``train.py --extra``).

Two cheap augmentations from the NER literature, both label-preserving:

* **mention replacement** (Dai & Adel, COLING 2020): in a copy of a sentence
  with entities, each mention is swapped, with probability ``--replace``, for a
  mention of the same type drawn from the train split's distinct mentions, so
  the model sees known contexts around other names (test's names are mostly
  unseen in train);
* **case change** (Mayhew et al., 2019): a share ``--upper`` of the copies is
  upper-cased, as CoNLL's headlines and sports tables are.

Only train is read; the output is a DocBin with every token labelled (O is O,
not missing).

Usage::

    .venv/bin/python training/ner/augment.py --out training/ner/out/aug.spacy [--copies 1]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train import DATA, read_conll  # noqa: E402


def mentions(tags: list[str]) -> list[tuple[int, int, str]]:
    """IOB2 tags -> (start, end, label) for every mention, all labels."""
    out, start, label = [], None, None
    for i, t in enumerate(list(tags) + ["O"]):
        if t.startswith("B-") or t == "O" or (t.startswith("I-") and t[2:] != label):
            if label is not None:
                out.append((start, i, label))
            start, label = (i, t[2:]) if t != "O" else (None, None)
    return out


def replaced(words, tags, pool, p: float, rng: random.Random):
    """A copy of the sentence with each mention swapped for a same-type one with probability p."""
    new_w, new_t, last = [], [], 0
    for start, end, label in mentions(tags):
        new_w += words[last:start]
        new_t += tags[last:start]
        span = list(words[start:end])
        if rng.random() < p:
            span = list(rng.choice(pool[label]))
        new_w += span
        new_t += [("B-" if k == 0 else "I-") + label for k in range(len(span))]
        last = end
    return new_w + words[last:], new_t + tags[last:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--copies", type=int, default=1, help="augmented copies per sentence with entities")
    ap.add_argument("--replace", type=float, default=0.5, help="probability of swapping each mention")
    ap.add_argument("--upper", type=float, default=0.0, help="share of copies upper-cased")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    train = read_conll(DATA / "conll2003-train.txt")
    pool: dict[str, set] = {}
    for words, tags in train:
        for start, end, label in mentions(tags):
            pool.setdefault(label, set()).add(tuple(words[start:end]))
    pool_l = {k: sorted(v) for k, v in pool.items()}
    print({k: len(v) for k, v in pool_l.items()}, "distinct mentions", flush=True)
    vocab = spacy.blank("en").vocab
    docs, n_upper = [], 0
    for words, tags in train:
        if not mentions(tags):
            continue
        for _ in range(args.copies):
            w, t = replaced(words, tags, pool_l, args.replace, rng)
            up = rng.random() < args.upper
            if up:
                w = [x.upper() for x in w]
            if w == words:
                continue  # nothing changed (e.g. a caps headline kept as it was): a duplicate
            n_upper += up
            docs.append(Doc(vocab, words=w, ents=t))
    DocBin(docs=docs).to_disk(args.out)
    print(f"{len(docs)} sentences ({n_upper} upper-cased) -> {args.out}", flush=True)


if __name__ == "__main__":
    main()
