"""Label unlabelled Reuters news with two or more NER checkpoints, for self-training.

Sentences come from Reuters-21578 (``shared/corpus/reuters21578.jsonl.gz``),
articles with an **even** id only (odd ids are kept for independent checks, see
``shared/README.md``); Reuters-21578 is 1987 newswire, so it shares no text with
CoNLL-2003 (Reuters RCV1, 1996-97). Each sentence is tokenised as at inference
(CoNLL-style hyphens, accent-folded) and labelled by every teacher; a token keeps
the teachers' label where they all agree, and where they disagree the tokens of
every span involved are left *missing* (no loss on them), so the student learns
only from agreed labels. Labels other than PER/ORG/LOC/MISC count as O.

Usage (from the repo root)::

    .venv/bin/python training/ner/pseudo.py TEACHER_DIR TEACHER_DIR ... --out training/ner/out/pseudo.spacy
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from index.ingest.ner import customize_tokenizer, fold_accents, md_model_path  # noqa: E402

KEEP = {"PER", "ORG", "LOC", "MISC"}
PARA = re.compile(r"\n\s{2,}|\n\n")


def _shared_dir() -> Path:
    for base in ROOT.parents:
        if (base / "shared" / "corpus").is_dir():
            return base / "shared"
    return ROOT.parent / "shared"


def reuters_sentences(nlp, limit: int, seed: int) -> list[list[str]]:
    """Token lists of sentences from even-id Reuters-21578 articles (titles included)."""
    records = []
    with gzip.open(_shared_dir() / "corpus" / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if int(rec["id"]) % 2 == 0 and (rec.get("body") or "").strip():
                records.append(rec)
    random.Random(seed).shuffle(records)
    senter = spacy.blank("en")
    senter.add_pipe("sentencizer")
    customize_tokenizer(senter)
    out: list[list[str]] = []
    for rec in records:
        paras = [rec.get("title") or ""] + PARA.split(rec["body"])
        for para in paras:
            text = fold_accents(" ".join(para.split()))
            if not text or "Reuter" == text.strip():
                continue
            for sent in senter(text).sents:
                words = [t.text for t in sent if not t.is_space]
                if words and words[-1] == "Reuter":
                    words = words[:-1]
                if 3 <= len(words) <= 60 and any(w[:1].isalpha() for w in words):
                    out.append(words)
        if len(out) >= limit:
            break
    return out[:limit]


def tags_of(doc: Doc) -> list[str]:
    tags = ["O"] * len(doc)
    for ent in doc.ents:
        if ent.label_ in KEEP:
            tags[ent.start] = "B-" + ent.label_
            for i in range(ent.start + 1, ent.end):
                tags[i] = "I-" + ent.label_
    return tags


def agree(all_tags: list[list[str]]) -> list[str | None]:
    """Tags all teachers share; tokens of any span with a disagreement become None (missing)."""
    n = len(all_tags[0])
    out: list[str | None] = list(all_tags[0])
    bad = [i for i in range(n) if len({t[i] for t in all_tags}) > 1]
    for i in bad:
        for tags in all_tags:
            if tags[i] == "O":
                out[i] = None
                continue
            s = i
            while s > 0 and tags[s].startswith("I-"):
                s -= 1
            e = i + 1
            while e < n and tags[e].startswith("I-"):
                e += 1
            for j in range(s, e):
                out[j] = None
    # an I- tag whose B- went missing starts the span
    for i, t in enumerate(out):
        if t and t.startswith("I-") and (i == 0 or out[i - 1] is None or out[i - 1] == "O"):
            out[i] = None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("teachers", type=Path, nargs="+", help="model directories (training checkpoints or shipped)")
    ap.add_argument("--out", type=Path, required=True, help="DocBin to write")
    ap.add_argument("--limit", type=int, default=14000, help="sentences to label")
    ap.add_argument("--seed", type=int, default=0, help="article order")
    args = ap.parse_args()

    vectors = md_model_path() / "vocab"
    teachers = []
    for path in args.teachers:
        nlp = spacy.load(path)
        nlp.vocab.vectors.from_disk(vectors, exclude=["strings"])
        teachers.append(nlp)
    sents = reuters_sentences(teachers[0], args.limit, args.seed)
    print(f"{len(sents)} sentences, {sum(map(len, sents))} tokens", flush=True)
    per_teacher = []
    for nlp in teachers:
        docs = (Doc(nlp.vocab, words=words) for words in sents)
        per_teacher.append([tags_of(doc) for doc in nlp.pipe(docs, batch_size=256)])
    vocab = teachers[0].vocab
    out = DocBin()
    n_missing = n_tok = n_full = 0
    for k, words in enumerate(sents):
        tags = agree([pt[k] for pt in per_teacher])
        n_tok += len(tags)
        miss = sum(t is None for t in tags)
        n_missing += miss
        n_full += miss == 0
        out.add(Doc(vocab, words=words, ents=tags))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out.to_disk(args.out)
    print(f"wrote {args.out}: {len(sents)} sentences, {n_full} fully agreed, "
          f"{n_missing / max(n_tok, 1):.1%} of tokens missing", flush=True)


if __name__ == "__main__":
    main()
