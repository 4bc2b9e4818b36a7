#!/usr/bin/env python
"""Entity quality against hand tags: one value per real entity, the right type, found where named.

Reuters-21578 tags its articles by hand with the places, people and
organisations they are about (`places`, `people`, `orgs`: codes like `usa`,
`volcker`, `opec`); `bench/entity_tags.toml` says what each code is called in
text (places from pycountry, plus a few names it lacks) and tags the five seeds
the same way.  Only Reuters articles with an EVEN id are used (odd ids are kept
for an independent check).  Over an index of the seeds and those articles, built
with entities on through `Index.ingest`, read through `Index.get` (the names and
types every endpoint shows):

* **values per tag**: for each tag, the entity values (type and name) that
  refer to it across the tagged articles: an article's entity refers to the tag
  when one of its forms, or its name, is one of the tag's names (case and dots
  ignored).  Ideal: one.  Reported as the share of tags seen with exactly one.
* **mention-conditioned recall**: of the tagged articles whose text names the
  tagged entity (one of its names, as written, dots optional), the share that
  carry the tag's canonical value (its most common value) among their entities.
* **wrong type**: the share of values (tag, value pairs) whose type is not the
  tag's (place, person, org).

    .venv/bin/python bench/entity_quality.py --index /tmp/entq/index [--limit 3000] [--json]

The index is built on first use (timed: the ingest with entities on, and the
seconds of it spent extracting entities) and reused afterwards (`--rebuild`
starts again).  Names are compared by the measure's own folding, not the
index's: the measure shares nothing with what it measures but the facade.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import sys
import time
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402
from index import Index, Skipped, article_from_record, read_articles  # noqa: E402

REUTERS = ROOT.parent / "shared" / "corpus" / "reuters21578.jsonl.gz"
SEEDS = ROOT.parent / "shared" / "corpus" / "seeds"
TAGS_FILE = Path(__file__).with_name("entity_tags.toml")
KINDS = {"places": "place", "people": "person", "orgs": "org"}


# -- tags and their names ----------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case without accents ("Erdoğan" -> "erdogan")."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ı", "i"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def name_key(name: str) -> str:
    """How names are compared: folded, dots and hyphens dropped ("U.S." = "US", "Nagorno-Karabakh" = "nagorno karabakh")."""
    return " ".join(fold(name).replace(".", "").replace("-", " ").split())


def country_names(code: str) -> list[str]:
    """pycountry's names for a Reuters place code (`usa`, `new-zealand`), or [] when it has none."""
    import pycountry

    for query in (code, code.replace("-", " ")):
        try:
            country = pycountry.countries.lookup(query)
        except LookupError:
            continue
        names = [getattr(country, a, None) for a in ("name", "official_name", "common_name")]
        return [n for n in names if n and "," not in n]
    return []


def load_tag_names(path: Path = TAGS_FILE) -> tuple[dict[str, dict[str, list[str]]], dict]:
    """({"places"|"people"|"orgs": {code: [names]}}, seed tags by file name)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    names = {kind: dict(data.get(kind, {})) for kind in KINDS}
    return names, data.get("seeds", {})


def names_of(kind: str, code: str, table: dict) -> list[str]:
    found = list(table[kind].get(code, []))
    if kind == "places":
        found += [n for n in country_names(code) if n not in found]
    return found


def mention_pattern(names: list[str]) -> re.Pattern:
    """A regex finding any of `names` as written (case kept), dots in acronyms optional."""
    parts = []
    for name in sorted(names, key=len, reverse=True):
        letters = name.replace(".", "")
        if letters.isupper() and letters.isalpha() and len(letters) <= 6:
            parts.append(r"\.?".join(map(re.escape, letters)) + r"\.?")
        else:
            parts.append(re.escape(name))
    return re.compile(r"(?<![\w.])(?:" + "|".join(parts) + r")(?![\w])")


# -- building the index ------------------------------------------------------------------------


def even_records(limit: int | None) -> list[dict]:
    records = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if int(record["id"]) % 2 == 0:
                records.append(record)
                if limit and len(records) >= limit:
                    break
    return records


def build(where: Path, records: list[dict], seeds: bool) -> dict:
    # Vectors off: they are not what this measures, and embedding inline would take most of the time.
    settings = Settings(index_dir=where, keys_file=where.parent / "keys.json", entities=True, enrich="inline", semantic=False)
    started = time.perf_counter()
    with Index.open(where, create=True, settings=settings) as index:
        items = list(read_articles([SEEDS], index.outlets)) if seeds else []
        for record in records:
            try:
                items.append(article_from_record(record, index.outlets, origin=f"reuters:{record['id']}"))
            except Exception as exc:  # noqa: BLE001  (reported as the CLI would)
                items.append(Skipped(f"reuters:{record['id']}", str(exc)))
        report = index.ingest(items)
    return {"articles": report.added, "seconds": round(time.perf_counter() - started, 1),
            "entity_seconds": round(report.entity_seconds, 1)}


# -- the measure -------------------------------------------------------------------------------


@dataclass
class TagStats:
    kind: str
    values: Counter = field(default_factory=Counter)  # (type, name) -> articles where it refers to the tag
    named: list = field(default_factory=list)  # per article naming the tag: set of its (type, name) values


def measure(index: Index, tagged: list[tuple[str, str, dict[str, list[str]]]], table: dict) -> dict:
    """`tagged`: (article id, text, {"places": [codes], ...}) for each article of the sample."""
    stats: dict[tuple[str, str], TagStats] = {}
    patterns: dict[tuple[str, str], tuple[set[str], re.Pattern]] = {}
    for article_id, text, tags in tagged:
        article = index.get(article_id)
        values = {(e.type, e.name) for e in article.entities}
        for kind, codes in tags.items():
            for code in codes:
                key = (kind, code)
                if key not in patterns:
                    names = names_of(kind, code, table)
                    if not names:
                        continue
                    patterns[key] = ({name_key(n) for n in names}, mention_pattern(names))
                wanted, pattern = patterns[key]
                tag = stats.setdefault(key, TagStats(kind))
                for entity in article.entities:
                    if any(name_key(f) in wanted for f in [entity.name, *entity.forms]):
                        tag.values[(entity.type, entity.name)] += 1
                if pattern.search(text):
                    tag.named.append(values)
    return summarise(stats)


def summarise(stats: dict[tuple[str, str], TagStats]) -> dict:
    out: dict = {}
    for kind, expected in KINDS.items():
        seen = {k: s for k, s in stats.items() if s.kind == kind and s.values}
        pairs = [(k, v) for k, s in seen.items() for v in s.values]
        wrong = [(k, v) for k, v in pairs if v[0] != expected]
        named = hits = 0
        split, missed = [], []
        for k, s in seen.items():
            canonical = s.values.most_common(1)[0][0]
            named += len(s.named)
            found = sum(canonical in values for values in s.named)
            hits += found
            if found < len(s.named):
                missed.append((k[1], len(s.named) - found, len(s.named), canonical[1]))
            if len(s.values) > 1:
                split.append((k[1], sum(s.values.values()), [f"{n} ({t}) {c}" for (t, n), c in s.values.most_common(4)]))
        tagged = sum(1 for s in stats.values() if s.kind == kind)
        out[kind] = {
            "tags": tagged, "tags_seen": len(seen),
            "one_value_share": round(sum(len(s.values) == 1 for s in seen.values()) / len(seen), 3) if seen else None,
            "values_per_tag": round(len(pairs) / len(seen), 2) if seen else None,
            "wrong_type_share": round(len(wrong) / len(pairs), 3) if pairs else None,
            "recall": round(hits / named, 3) if named else None, "named": named,
            "split": sorted(split, key=lambda s: -s[1])[:12],
            "wrong_type": [f"{k[1]}: {v[1]} ({v[0]})" for k, v in wrong][:12],
            "missed": [f"{code} {n} of {of} ({name})" for code, n, of, name in sorted(missed, key=lambda m: -m[1])[:8]],
        }
    seen_all = [s for s in stats.values() if s.values]
    pairs_all = sum(len(s.values) for s in seen_all)
    out["all"] = {
        "tags_seen": len(seen_all),
        "one_value_share": round(sum(len(s.values) == 1 for s in seen_all) / len(seen_all), 3) if seen_all else None,
        "wrong_type_share": round(sum(1 for s in seen_all for v in s.values if v[0] != KINDS[s.kind]) / pairs_all, 3)
        if pairs_all else None,
    }
    return out


def sample(index: Index, records: list[dict], seed_tags: dict, seeds: bool) -> tuple[list, list]:
    """(Reuters sample, seed sample) as (article id, text, tags) triples."""
    reuters = [(r["id"], r.get("body") or "", {k: r.get(k, []) for k in KINDS}) for r in records
               if (r.get("body") or "").strip() and index.exists(str(r["id"]))]
    seeded = []
    if seeds:
        for item in read_articles([SEEDS], index.outlets):
            if isinstance(item, Skipped):
                continue
            tags = seed_tags.get(Path(item.origin).name)
            if tags:
                seeded.append((item.id, item.body, {k: tags.get(k, []) for k in KINDS}))
    return reuters, seeded


def print_report(name: str, result: dict) -> None:
    print(f"\n## {name}")
    print("| kind | tags seen | one value | values/tag | wrong type | recall (named) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind in KINDS:
        r = result[kind]
        print(f"| {kind} | {r['tags_seen']} of {r['tags']} | {r['one_value_share']} | {r['values_per_tag']} | "
              f"{r['wrong_type_share']} | {r['recall']} ({r['named']}) |")
    a = result["all"]
    print(f"| all | {a['tags_seen']} | {a['one_value_share']} | | {a['wrong_type_share']} | |")
    for kind in KINDS:
        for code, articles, values in result[kind]["split"]:
            print(f"  split {kind} {code} ({articles}): {'; '.join(values)}")
        for line in result[kind]["wrong_type"]:
            print(f"  wrong type {kind} {line}")
        if result[kind]["missed"]:
            print(f"  named but not carried ({kind}): {'; '.join(result[kind]['missed'])}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=Path("/tmp/newsindex-entity-quality"))
    parser.add_argument("--limit", type=int, default=None, help="only the first N even-id Reuters articles")
    parser.add_argument("--no-seeds", action="store_true", help="leave the seed articles out")
    parser.add_argument("--rebuild", action="store_true", help="delete the index first")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    seeds = not args.no_seeds
    records = even_records(args.limit)
    table, seed_tags = load_tag_names()
    if args.rebuild and args.index.exists():
        shutil.rmtree(args.index)
    built = None
    if not args.index.exists():
        built = build(args.index, records, seeds)
    settings = Settings(index_dir=args.index, keys_file=args.index.parent / "keys.json")
    with Index.open(args.index, settings=settings) as index:
        reuters, seeded = sample(index, records, seed_tags, seeds)
        result = {"built": built, "reuters_articles": len(reuters), "reuters": measure(index, reuters, table)}
        if seeded:
            result["seeds"] = measure(index, seeded, table)
    if args.json:
        print(json.dumps(result))
        return
    print(f"index {args.index}: {len(reuters)} even-id Reuters articles" + (" + 5 seeds" if seeds else "")
          + (f"; built {built}" if built else ""))
    print_report("Reuters, even ids", result["reuters"])
    if "seeds" in result:
        print_report("Seeds", result["seeds"])


if __name__ == "__main__":
    main()
