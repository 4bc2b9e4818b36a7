"""A small wire archive the page tests write and ingest: what issue 13 found on Reuters, in eight records.

- hard-wrapped bodies with indented paragraphs, as Reuters files them;
- three versions of one story (refiled twice), one story family;
- "OPEC oil output": 6 articles hold some of the words, 4 hold every word,
  1 holds the exact phrase;
- a British spelling (defence programme, centre) and an American one
  (defense program, center);
- records with tag lists (`topics`, `places`, `orgs`), the archive's own
  editorial tags, kept apart from the entities found in the text;
- dates over seven weeks of 1987, so the histogram is drawn by day.

Record fields the ingest of the day does not map yet (tag lists, story families)
are set on the Article by hand before `Index.ingest`, as the store reads them.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from index import Article, Index, read_articles


def wrap(*paragraphs: str) -> str:
    """Paragraphs hard-wrapped at 60 characters, each after the first indented: a Reuters body."""
    return "\n".join(("    " if i else "") + textwrap.fill(p, 60) for i, p in enumerate(paragraphs))


KUWAIT = ("Kuwait's oil minister said OPEC is producing about 2.4 mln barrels per day below its ceiling, and that "
          "output by the group would stay under the agreed level for the rest of the quarter.",
          "The minister said the group's members were keeping to their quotas and no emergency meeting was planned.")

RECORDS = [
    {"id": "kuwait-1", "date": "1987-03-02T10:00:00", "title": "KUWAIT SAYS OPEC 2.4 MLN BPD BELOW CEILING",
     "body": wrap(*KUWAIT), "source": "Reuters",
     "topics": ["crude"], "places": ["kuwait"], "orgs": ["opec"]},
    {"id": "kuwait-2", "date": "1987-03-02T14:00:00", "title": "KUWAIT SAYS OPEC 2.4 MLN BPD BELOW CEILING",
     "body": wrap(*KUWAIT, "Adds minister's comment on quotas."), "source": "Reuters",
     "topics": ["crude"], "places": ["kuwait"], "orgs": ["opec"]},
    {"id": "kuwait-3", "date": "1987-03-03T09:00:00", "title": "KUWAIT SAYS OPEC BELOW CEILING (REPEAT)",
     "body": wrap(*KUWAIT), "source": "Reuters",
     "topics": ["crude"], "places": ["kuwait"], "orgs": ["opec"]},
    {"id": "opec-output", "date": "1987-03-10T12:00:00", "title": "OPEC OIL OUTPUT ROSE IN FEBRUARY, SURVEY SAYS",
     "body": wrap("OPEC oil output rose in February to 16.1 mln barrels per day, a survey of producers said.",
                  "Saudi Arabia raised production while Nigeria and Iran held steady, the survey found."),
     "source": "Reuters", "topics": ["crude"], "places": ["saudi-arabia", "nigeria"], "orgs": ["opec"]},
    {"id": "ny-oil", "date": "1987-03-20T16:00:00", "title": "CRUDE PRICES FALL IN NEW YORK",
     "body": wrap("Crude oil futures fell in New York on Friday as traders took profits after a week of gains.",
                  "Heating oil and gasoline contracts also ended lower."),
     "source": "Reuters", "topics": ["crude"], "places": ["usa"]},
    {"id": "cocoa", "date": "1987-04-20T08:00:00", "title": "BAHIA COCOA OUTPUT SEEN LOWER",
     "body": wrap("Cocoa output in the Bahia zone of Brazil is expected to fall this season after a long drought.",
                  "Exporters said arrivals of beans at the port of Salvador were well below last year."),
     "source": "Reuters", "topics": ["cocoa"], "places": ["brazil"]},
    {"id": "defence", "date": "1987-04-01T11:00:00", "title": "British defence programme under review",
     "body": wrap("The defence programme run from the monitoring centre will be reviewed by the ministry, "
                  "officials in London said.", "The review is due to finish by the summer."),
     "source": "The Times", "topics": ["defence"], "places": ["uk"]},
    {"id": "defense", "date": "1987-04-15T11:00:00", "title": "Pentagon defense program approved",
     "body": wrap("The defense program run from the monitoring center was approved by Congress on Wednesday, "
                  "officials in Washington said.", "Funding starts in October."),
     "source": "The Washington Post", "topics": ["defence"], "places": ["usa"]},
]
FAMILY = ("kuwait-1", "kuwait-2", "kuwait-3")
TAG_KINDS = ("topics", "places", "orgs")


def write_corpus(folder: Path) -> Path:
    """The records as a JSON Lines file, as an archive export would give them."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "wire.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in RECORDS), encoding="utf-8")
    return path


def wire_articles(path: Path, outlets) -> list[Article]:
    """The file read as ingest reads it, with tag lists and the story family set where ingest does not."""
    by_id = {record["id"]: record for record in RECORDS}
    articles = [a for a in read_articles([path], outlets) if isinstance(a, Article)]
    assert len(articles) == len(RECORDS)
    for article in articles:
        record = by_id[article.id]
        if not getattr(article, "tags", None):
            article.tags = {kind: record[kind] for kind in TAG_KINDS if record.get(kind)}
        if article.id in FAMILY:
            article.family = "kuwait-opec-ceiling"
    return articles


def build_index(folder: Path, settings) -> Path:
    """A wire index at settings.index_dir from the records written under `folder`."""
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        report = index.ingest(wire_articles(write_corpus(folder), index.outlets))
        assert report.added == len(RECORDS), report.summary()
    return settings.index_dir
