"""Ingest benchmark: Reuters-21578 (replicated to reach scale) through newsindex's real
pipeline, beside raw Whoosh indexing the same documents with the same schema, in the same run.

    .venv/bin/python bench/ingest.py                          # 1x, entities off, with the raw baseline
    .venv/bin/python bench/ingest.py --replicate 40 --baseline off --index /tmp/ni-40x --json
    .venv/bin/python bench/ingest.py --entities on --replicate 1
    .venv/bin/python bench/ingest.py --replicate 24 --entities replicated --baseline off --index /tmp/ni-24x
    .venv/bin/python bench/ingest.py --replicate 10 --baseline off --index /tmp/ni-10x --optimize 1   # then merged

`--entities replicated` is for the scale curve: entity extraction runs on the first
copy of Reuters only, and each later copy (the same text under another id) reuses
its entities, so a million-passage index has real entity facets without hours of
NER; its ingest rate is then neither "entities on" nor "off", and is reported so.

newsindex side: records -> `article_from_record` -> `Index.ingest` (passages, entities
when on, checksums, one commit per `ingest_batch_size` articles, segment merges), timed
from the first record read to the last commit.  Raw side: the same records as plain
Whoosh documents (title, body, and each paragraph as a passage, with Whoosh's
StemmingAnalyzer and positions), built beforehand and untimed, added by one
`writer(limitmb=256)` and committed once: what Whoosh alone costs for this data.

Each side runs in its own interpreter, so its peak memory (VmHWM from /proc/self/status)
is its own.  With --json the last line is one JSON object: articles_per_s,
raw_articles_per_s, ratio, passages, index_mb, peak_mb (and more).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale import dir_mb, reuters_records, run_side, vm_hwm_mb, vm_rss_mb  # noqa: E402
from config.settings import Settings  # noqa: E402
from index import Index, InvalidArticle, NotFound, Skipped, article_from_record  # noqa: E402

SCRIPT = Path(__file__).resolve()


def articles(replicate: int, outlets):
    """Articles (or Skipped, as the CLI would report them) from the replicated corpus."""
    for record in reuters_records(replicate):
        try:
            yield article_from_record(record, outlets, origin=f"reuters:{record['id']}")
        except InvalidArticle as exc:
            yield Skipped(f"reuters:{record['id']}", str(exc))


def with_copied_entities(items, known: dict):
    """Copies of an article already seen (same title and body) carry its entities; new ones are remembered."""
    for item in items:
        if not isinstance(item, Skipped) and (item.title, item.body) in known:
            item.entities = known[(item.title, item.body)]
        yield item


def side_ours(where: Path, replicate: int, entities: str, profile: str | None) -> dict:
    """Ingest through Index.ingest; returns rates, passages, size and peak memory."""
    settings = Settings(index_dir=where, keys_file=where.parent / "keys.json", entities=entities != "off", semantic=False,
                        merge="inline")
    if entities == "replicated":
        return side_replicated(where, replicate, settings)
    with Index.open(where, create=True, settings=settings) as index:
        if index.stats()["articles"]:
            stats = index.stats()
            return {"reused": True, "articles": stats["articles"], "passages": stats["passages"],
                    "index_mb": round(dir_mb(where), 1), "segments": stats["segments"]}
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        report = index.ingest(articles(replicate, index.outlets), processes=settings.ingest_processes)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        seconds = time.perf_counter() - started
        stats = index.stats()
    return {"seconds": round(seconds, 2), "articles": report.added, "passages": report.passages,
            "skipped": len(report.skipped), "segments": stats["segments"],
            "entity_seconds": round(report.entity_seconds, 2), "entity_share": round(report.entity_seconds / seconds, 3),
            "articles_per_s": round(report.added / seconds, 1), "passages_per_s": round(report.passages / seconds, 1),
            "index_mb": round(dir_mb(where), 1), "peak_mb": round(vm_hwm_mb(), 1)}


def _stored(index: Index, article_id: str):
    """The stored article, or None (Index.get raises NotFound)."""
    try:
        return index.get(article_id)
    except NotFound:
        return None


def side_replicated(where: Path, replicate: int, settings: Settings) -> dict:
    """The first copy of Reuters with entities extracted, later copies carrying the same entities (no NER).

    An index that already holds the first copy (an earlier run stopped during the
    later copies) is reused: its entities are read back and only the later copies written.
    """
    started = time.perf_counter()
    with Index.open(where, create=True, settings=settings.replace(enrich="inline")) as index:  # entities before reading them
        first_ids = [a.id for a in articles(1, index.outlets) if not isinstance(a, Skipped)]
        reused = all(_stored(index, article_id) is not None for article_id in first_ids)
        if not reused:
            index.ingest(articles(1, index.outlets), processes=settings.ingest_processes)
        known = {}
        for article_id in first_ids:
            article = _stored(index, article_id)
            if article is not None:
                known[(article.title, article.body)] = article.entities
    first_seconds = time.perf_counter() - started
    copies = settings.replace(entities=False)
    done_ids = set(first_ids)
    with Index.open(where, settings=copies) as index:
        later = (a for a in articles(replicate, index.outlets) if isinstance(a, Skipped) or a.id not in done_ids)
        report = index.ingest(with_copied_entities(later, known), processes=settings.ingest_processes)
        stats = index.stats()
    seconds = time.perf_counter() - started
    later_seconds = seconds - first_seconds
    return {"seconds": round(seconds, 2), "articles": stats["articles"], "passages": stats["passages"],
            "segments": stats["segments"], "articles_per_s": round(stats["articles"] / seconds, 1),
            "first_copy_s": round(first_seconds, 1), "first_copy_reused": reused,
            "later_copies_articles_per_s": round(report.added / later_seconds, 1),
            "index_mb": round(dir_mb(where), 1), "peak_mb": round(vm_hwm_mb(), 1),
            "note": "entities extracted for the first copy only; not an entities-on or -off rate"}


def side_optimize(where: Path, segments: int) -> dict:
    """`Index.optimize` of the index just built: how long merging it down to `segments` takes."""
    settings = Settings(index_dir=where, keys_file=where.parent / "keys.json", entities=False, semantic=False)
    started = time.perf_counter()
    with Index.open(where, settings=settings) as index:
        before = index.stats()["segments"]
        merges = index.optimize(segments)
        after = index.stats()["segments"]
    return {"seconds": round(time.perf_counter() - started, 2), "segments_before": before, "segments": after,
            "merges": merges, "peak_mb": round(vm_hwm_mb(), 1)}


RAW_SCHEMA_NOTE = "title, body and passage text with Whoosh's StemmingAnalyzer and positions; ids"


def side_raw(where: Path, replicate: int) -> dict:
    """Raw Whoosh: title, body and each paragraph as a passage, one writer, one commit (documents built untimed)."""
    from whoosh import index as whoosh_index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

    schema = Schema(kind=ID(stored=True), doc_id=ID(unique=True, stored=True), article_id=ID(stored=True),
                    title=TEXT(analyzer=StemmingAnalyzer(), phrase=True), body=TEXT(analyzer=StemmingAnalyzer()),
                    text=TEXT(analyzer=StemmingAnalyzer(), stored=True), source=ID(stored=True),
                    published=DATETIME(stored=True, sortable=True), data=STORED())
    docs, n_articles, n_passages = [], 0, 0
    for record in reuters_records(replicate):
        body = (record.get("body") or "").strip()
        if not body:
            continue
        article_id = str(record["id"])
        docs.append(dict(kind="article", doc_id=article_id, article_id=article_id, title=record.get("title") or "",
                         body=body, source="Reuters", data=json.dumps(record)))
        for number, paragraph in enumerate(p for p in body.split("\n\n") if p.strip()):
            docs.append(dict(kind="passage", doc_id=f"{article_id}#{number}", article_id=article_id, text=paragraph))
            n_passages += 1
        n_articles += 1
    before_mb = vm_rss_mb()
    where.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(where), schema)
    started = time.perf_counter()
    writer = ix.writer(limitmb=256)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "articles": n_articles, "passages": n_passages,
            "articles_per_s": round(n_articles / seconds, 1), "passages_per_s": round(n_passages / seconds, 1),
            "index_mb": round(dir_mb(where), 1), "peak_mb": round(vm_hwm_mb(), 1),
            "growth_mb": round(vm_hwm_mb() - before_mb, 1), "schema": RAW_SCHEMA_NOTE}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicate", type=int, default=1, help="copies of Reuters (distinct ids, dates +1 year each)")
    parser.add_argument("--entities", choices=("on", "off", "both", "replicated"), default="off",
                        help="entity extraction (default off); both: ours with and without, in one run; "
                             "replicated: extracted for the first copy, reused for the others")
    parser.add_argument("--baseline", choices=("on", "off"), default="on", help="raw Whoosh beside ours (default on)")
    parser.add_argument("--index", type=Path, help="keep the index here (an index that already holds articles is reused)")
    parser.add_argument("--profile", help="write a cProfile of the newsindex side to this file")
    parser.add_argument("--optimize", type=int, metavar="N", help="then merge our index down to N segments, timed")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--side", choices=("ours", "raw", "optimize"), help=argparse.SUPPRESS)
    parser.add_argument("--where", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.side == "ours":
        print(json.dumps(side_ours(args.where, args.replicate, args.entities, args.profile)))
        return 0
    if args.side == "raw":
        print(json.dumps(side_raw(args.where, args.replicate)))
        return 0
    if args.side == "optimize":
        print(json.dumps(side_optimize(args.where, args.optimize)))
        return 0

    with tempfile.TemporaryDirectory(prefix="newsindex-ingest-") as tmp:
        ours_dir = args.index or Path(tmp) / "ours"
        common = ["--replicate", str(args.replicate)]
        extra = ["--profile", args.profile] if args.profile else []
        with_entities = {}
        if args.entities == "both":
            with_entities = run_side(SCRIPT, ["--side", "ours", "--where", str(Path(tmp) / "entities"),
                                              "--entities", "on", *common])
        ours = run_side(SCRIPT, ["--side", "ours", "--where", str(ours_dir),
                                 "--entities", "off" if args.entities == "both" else args.entities, *common, *extra])
        raw = run_side(SCRIPT, ["--side", "raw", "--where", str(Path(tmp) / "raw"), *common]) \
            if args.baseline == "on" else {}
        optimized = run_side(SCRIPT, ["--side", "optimize", "--where", str(ours_dir), "--optimize", str(args.optimize)]) \
            if args.optimize else {}
    out = {
        "replicate": args.replicate, "entities": args.entities,
        "articles": ours.get("articles"), "passages": ours.get("passages"),
        "articles_per_s": ours.get("articles_per_s"), "passages_per_s": ours.get("passages_per_s"),
        "raw_articles_per_s": raw.get("articles_per_s"), "raw_passages_per_s": raw.get("passages_per_s"),
        "ratio": round(ours["articles_per_s"] / raw["articles_per_s"], 3) if raw and ours.get("articles_per_s") else None,
        "index_mb": ours.get("index_mb"), "raw_index_mb": raw.get("index_mb"),
        "peak_mb": ours.get("peak_mb"), "raw_peak_mb": raw.get("peak_mb"), "raw_writer_growth_mb": raw.get("growth_mb"),
        "seconds": ours.get("seconds"), "raw_seconds": raw.get("seconds"), "segments": ours.get("segments"),
        "reused": ours.get("reused", False),
    }
    if optimized:
        out["optimize"] = optimized
        print(f"optimize: {optimized['segments_before']} -> {optimized['segments']} segments in {optimized['seconds']} s, "
              f"peak {optimized['peak_mb']} MB")
    if with_entities:
        out["entities_articles_per_s"] = with_entities.get("articles_per_s")
        out["entities_ratio"] = round(with_entities["articles_per_s"] / ours["articles_per_s"], 3)
        out["entity_share"] = with_entities.get("entity_share")
        out["entities_peak_mb"] = with_entities.get("peak_mb")
        print(f"with entities: {with_entities['articles_per_s']} articles/s ({out['entities_ratio']}x the rate "
              f"without); {100 * with_entities['entity_share']:.0f}% of that ingest in entity extraction")
    print(f"newsindex: {out['articles']} articles, {out['passages']} passages in {out['seconds']} s: "
          f"{out['articles_per_s']} articles/s, {out['passages_per_s']} passages/s; "
          f"index {out['index_mb']} MB, peak {out['peak_mb']} MB")
    if raw:
        print(f"raw Whoosh: {raw['articles_per_s']} articles/s, {raw['passages_per_s']} passages/s in {raw['seconds']} s; "
              f"index {raw['index_mb']} MB, peak {raw['peak_mb']} MB (writer +{raw['growth_mb']} MB)")
        print(f"ratio (ours / raw, articles/s): {out['ratio']}")
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
