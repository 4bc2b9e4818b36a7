"""The page's hits: each article's best passages, highlighted, and why it matched.

Only the articles on the page are read from Whoosh's stored fields.  Their
passages are scored with the same units and model as articles (over passage
statistics), and the best one to three of each are shown with the query's
words marked; an article whose passages match nothing shows its first one.
"""

from __future__ import annotations

import re

import numpy as np

from index.arrays import in_sorted, rows_between
from index.article import stored_time
from index.query import Hit, PassageHit
from index.search.columns import entity_mask, passage_starts
from index.search.plan import QueryPlan, Unit
from index.search.positions import phrase_counts
from index.search.scoring import PASSAGE_FIELDS, Params, score
from index.text.analysis import fold
from index.text.highlight import highlight, joined_spans, looked_up, marked, marked_across

ACROSS_READ = 100  # most passages of one article looked at for a quote across passages (a long story has ~50)
_WORD = re.compile(r"\S+")
TITLE_READS = 0.5  # a page's titles are read from the segments while that costs at most one word's lookup per two titles
ACROSS_SHOWN = 3  # most passages shown for it (a quote of up to 1,000 characters spans at most a few)


def passages_of(snapshot, ordinals: list[int]) -> np.ndarray:
    """Global passage ordinals of these articles, in article order."""
    page = np.sort(np.asarray(ordinals, dtype=np.int64))
    starts = passage_starts(snapshot)
    return rows_between(starts[page], starts[page + 1])


def best_passages(snapshot, plan: QueryPlan, ordinals: list[int], per_article: int, params: Params) -> dict:
    """article ordinal -> [(position, score, passage ordinal)] of its best-scoring passages, best first."""
    if not ordinals or per_article < 1 or not plan.units:
        return {}
    candidates = passages_of(snapshot, ordinals)
    candidates = candidates[snapshot.live_passages()[candidates]]
    scored = score(snapshot, plan.units, PASSAGE_FIELDS, params, candidates=candidates)
    best: dict[int, list] = {}
    for passage, value in scored.ranked(candidates):
        if value <= 0:
            break
        i, part, local = snapshot.locate(passage, passages=True)
        owner = int(part.data["passage_article"][local]) + int(snapshot.article_base[i])
        bucket = best.setdefault(owner, [])
        if len(bucket) < per_article:
            bucket.append((int(part.data["passage_position"][local]), value, int(passage)))
    return best


class Marks:
    """Highlighting for one page of results: where the query's words are in the page's titles and shown
    passages, read from the segments once for the whole page (`Snapshot.occurrences`), then marked."""

    def __init__(self, snapshot, plan: QueryPlan | None, ordinals: list[int], best: dict):
        self.terms, self.marks = (plan.highlight, plan.marks()) if plan is not None else (set(), {})
        words = looked_up(self.terms, **self.marks)
        # An article none of whose passages scored shows its first one (make_hit)
        self.first = {o: int(found[0]) for o in ordinals if not best.get(o)
                      for found in [passages_of(snapshot, [o])] if len(found)} if words else {}
        passages = [passage for bucket in best.values() for _, _, passage in bucket] + list(self.first.values())
        # A title is a few words: analysed again (~13 us) it costs about what reading one word's occurrences in
        # a segment does with the CPU's caches cold (a search between other work): a page within one or two
        # segments has its titles read, one spread over many (the policy's nine at 10x) analysed again.
        spread = len({snapshot.locate(o)[0] for o in ordinals})
        read = words and len(words) * spread <= TITLE_READS * len(ordinals)
        self.titles = snapshot.occurrences("title", ordinals, words) if read else {}
        self.texts = snapshot.occurrences("text", passages, words) if words else {}

    def title(self, ordinal: int, text: str) -> str:
        return highlight(text, self.terms, occurrences=self.titles.get(ordinal), **self.marks)

    def passage(self, ordinal: int | None, text: str) -> str:
        return highlight(text, self.terms, occurrences=self.texts.get(ordinal), **self.marks)

    def across(self, stored: list[dict]) -> list[PassageHit]:
        return quote_across(stored, self.marks.get("phrases", ()), self.marks.get("quotes", ()))


def quote_across(stored: list[dict], phrases, quotes) -> list[PassageHit]:
    """For an article none of whose passages matched: the passages ({"position", "text"}, in order) holding a
    phrase or quote that runs across a paragraph break (found in the body, in no passage), each with its
    piece marked (at most ACROSS_SHOWN); or none.  Both backends show these instead of the first passage.
    Only the words on either side of each break are read: a few words a break, however long the passages."""
    if not phrases and not quotes:
        return []
    reach = 2 * max(len(words) for words in [*phrases, *(w for w, _ in quotes)]) + 2  # a hyphenated word is two
    pieces: dict[int, tuple[dict, list]] = {}
    for before, after in zip(stored[:ACROSS_READ], stored[1:ACROSS_READ]):
        cut = _last_words(before["text"], reach)
        head = after["text"][:_first_words(after["text"], reach)]
        end, start = marked_across([before["text"][cut:], head], phrases, quotes)
        if end and start:
            pieces.setdefault(before["position"], (before, []))[1].extend((a + cut, b + cut) for a, b in end)
            pieces.setdefault(after["position"], (after, []))[1].extend(start)
    return [PassageHit(position=position, html=marked(p["text"], joined_spans(p["text"], spans)), text=p["text"], score=None)
            for position, (p, spans) in sorted(pieces.items())][:ACROSS_SHOWN]


def _last_words(text: str, count: int) -> int:
    """Where the last `count` words of `text` start."""
    starts = [m.start() for m in _WORD.finditer(text)]
    return starts[-count] if len(starts) >= count else 0


def _first_words(text: str, count: int) -> int:
    """Where the first `count` words of `text` end."""
    for number, found in enumerate(_WORD.finditer(text), 1):
        if number == count:
            return found.end()
    return len(text)


def make_hit(snapshot, ordinal: int, score: float | None, passages: list, marks: Marks, catalog) -> Hit:
    """One result: the stored article, its best passages marked, its entities as the archive names them.

    The article is read as the plain dict it is stored as (Article.to_dict, `Snapshot.article`): a page needs a few of
    its fields, and making the whole Article, every passage and entity a dataclass, cost more than
    parsing it."""
    data = snapshot.article(ordinal)
    stored = data.get("passages") or []
    text_of = {p["position"]: p["text"] for p in stored}
    shown = [(position, text_of.get(position, ""), value, passage) for position, value, passage in passages]
    across = marks.across(stored) if not shown and stored else []
    if not shown and stored and not across:
        shown = [(stored[0]["position"], stored[0]["text"], None, marks.first.get(ordinal))]
    hit = Hit(
        id=data["id"], title=data["title"], title_html=marks.title(ordinal, data["title"]),
        source=data.get("source"), published=stored_time(data.get("published")),
        url=data.get("url"), byline=data.get("byline"), score=round(score, 4) if score is not None else None,
        passages=across or [PassageHit(position=p, html=marks.passage(passage, text), text=text,
                                       score=round(s, 4) if s is not None else None) for p, text, s, passage in shown],
        entities=catalog.names_by_type(data.get("entities") or []),
    )
    hit.tags = {kind: list(values) for kind, values in (data.get("tags") or {}).items()}
    hit.family = data.get("family") or None  # what the segment's family column holds for it
    return hit


def describe_matches(snapshot, units: list[Unit], hits: list[Hit], ordinals: list[int]) -> None:
    """Why each article of a page matched, in words (`hit.matched`): each query term or phrase, where it
    was found, the alias used.  Each alternative's articles are looked up once for the whole page."""
    if not hits:
        return
    page = np.asarray(ordinals, dtype=np.int64)
    found = [[_found_in(snapshot, page, alt) for alt in unit.alternatives] for unit in units]
    for row, hit in enumerate(hits):
        names = [fold(n) for kind in hit.entities.values() for n in kind]
        described = []
        for unit, per_alt in zip(units, found):
            fields: set[str] = set()
            via = None
            for number, places in enumerate(per_alt):
                if places[row] and number > 0 and unit.via:
                    via = unit.via
                fields |= places[row]
            if fields:
                described.append({"term": unit.label, "fields": shown_fields(fields, unit.label, names), "via": via})
        hit.matched = described


def shown_fields(fields: set[str], label: str, entity_names: list[str]) -> list[str]:
    """Where "why this matched" says a unit was found: title, passage, and entity when the article
    names it as an entity (or the unit is one of an entity's words); `entity_names` are folded."""
    shown = [name for field, name in (("title", "title"), ("body", "passage")) if field in fields]
    label = fold(label.strip('"'))
    if "entity" in fields or any(label == n or label in n.split() or (" " in label and label in n)
                                 for n in entity_names):
        shown.append("entity")
    return shown


def _found_in(snapshot, page: np.ndarray, alt) -> list[set[str]]:
    """For each article of the page, the fields ("title", "body", "entity") where an alternative is found."""
    found: list[set[str]] = [set() for _ in page]
    if alt.kind == "entity":
        for row in np.flatnonzero(entity_mask(snapshot, alt.keys)[page]):
            found[row].add("entity")
        return found
    for fieldname in ("title", "body"):
        if alt.kind == "term":
            ids = snapshot.postings(fieldname, alt.text)[0]
        elif alt.kind == "phrase":
            ids = phrase_counts(snapshot, fieldname, alt.words, alt.slop, alt.spellings)[0]
        else:
            continue
        for row in np.flatnonzero(in_sorted(page, ids)):
            found[row].add(fieldname)
    return found
