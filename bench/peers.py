"""The engines a newsroom could pick instead, doing the same work per query as newsindex's search.

Same work: the top 10 articles by BM25 (OR of the words, a "phrase" as a phrase),
one highlighted snippet each, and facet counts by source and month over every
match; a date range filters, an empty query lists the newest.  Built from the
same Reuters records (replicated with distinct ids, as bench/scale.py does):

    SQLite FTS5    porter tokenizer, bm25(), snippet(), GROUP BY over the matches
    tantivy-py     en_stem tokenizer, top-10 collector, SnippetGenerator, terms aggregations
    Whoosh         plain Whoosh (StemmingAnalyzer, BM25F over title and body, FieldFacet
                   groupings, its highlighter), as a tuned Whoosh application would run it

Entity filters have no equivalent (the peers hold no extracted entities): that
query kind runs the same words without the filter and is reported apart.
"""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

STOP = {"the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "by", "with", "at", "from", "what", "did",
        "how", "much", "which", "this", "after", "about", "say", "is", "are", "was", "be", "it", "its", "that"}


def words_and_phrases(q: str) -> tuple[list[str], list[str]]:
    phrases = re.findall(r'"([^"]+)"', q)
    rest = re.sub(r'"[^"]+"', " ", q)
    words = [w for w in re.findall(r"\w+", rest.lower()) if w not in STOP]
    return words, phrases


def _month(published: str | None) -> str:
    return published[:7] if published else ""


def _epoch(published: str | None) -> int | None:
    if not published:
        return None
    return int(datetime.fromisoformat(published.replace("Z", "+00:00")).replace(tzinfo=timezone.utc).timestamp())


class Fts5:
    """SQLite FTS5 over title and body, with source, month and date columns beside it."""

    name = "fts5"

    def __init__(self, folder: Path, records):
        self.db = sqlite3.connect(folder / "fts5.db", check_same_thread=False)
        self.db.executescript("""
            create table docs(id integer primary key, source text, month text, published integer);
            create virtual table fts using fts5(title, body, tokenize='porter unicode61');
        """)
        started = time.perf_counter()
        rows = [(i, r.get("title") or "", r["body"], "Reuters", _month(r.get("date")), _epoch(r.get("date")))
                for i, r in enumerate(records, 1)]
        with self.db:
            self.db.executemany("insert into docs values (?, ?, ?, ?)", [(i, s, m, p) for i, _, _, s, m, p in rows])
            self.db.executemany("insert into fts(rowid, title, body) values (?, ?, ?)", [(i, t, b) for i, t, b, *_ in rows])
        self.build_seconds = time.perf_counter() - started

    @staticmethod
    def match(q: str) -> str:
        words, phrases = words_and_phrases(q)
        return " OR ".join([f'"{w}"' for w in words] + [f'"{p}"' for p in phrases])

    def search(self, q: str, date_from=None, date_to=None) -> int:
        where, args = "", []
        if date_from:
            where = " and d.published between ? and ?"
            args = [int(datetime(date_from.year, date_from.month, date_from.day, tzinfo=timezone.utc).timestamp()),
                    int(datetime(date_to.year, date_to.month, date_to.day, 23, 59, 59, tzinfo=timezone.utc).timestamp())]
        expression = self.match(q)
        if not expression:
            matches = f"select d.id from docs d where 1=1{where}"
            top = self.db.execute(f"select d.id from docs d where 1=1{where} order by d.published desc limit 10", args).fetchall()
            [self.db.execute("select title, substr(body, 1, 200) from fts where rowid = ?", t).fetchone() for t in top]
        else:
            matches = f"select fts.rowid from fts join docs d on d.id = fts.rowid where fts match ?{where}"
            args = [expression, *args]
            self.db.execute(f"select fts.rowid, snippet(fts, 1, '<mark>', '</mark>', '…', 24) from fts "
                            f"join docs d on d.id = fts.rowid where fts match ?{where} order by bm25(fts) limit 10",
                            args).fetchall()
        total = 0
        for column in ("source", "month"):
            rows = self.db.execute(f"select {column}, count(*) from docs where id in ({matches}) group by {column}",
                                   args).fetchall()
            total = sum(count for _, count in rows)
        return total


class Tantivy:
    """tantivy-py over title and body (en_stem), with source and month as fast string fields."""

    name = "tantivy"

    def __init__(self, folder: Path, records):
        import tantivy
        self.tantivy = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_integer_field("id", stored=True, indexed=True)
        builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("source", stored=True, fast=True, tokenizer_name="raw")
        builder.add_text_field("month", stored=True, fast=True, tokenizer_name="raw")
        builder.add_integer_field("published", stored=True, indexed=True, fast=True)
        self.schema = builder.build()
        path = folder / "tantivy"
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(path))
        started = time.perf_counter()
        writer = self.index.writer(heap_size=256_000_000)
        for i, r in enumerate(records, 1):
            writer.add_document(tantivy.Document(id=i, title=r.get("title") or "", body=r["body"], source="Reuters",
                                                 month=_month(r.get("date")), published=_epoch(r.get("date")) or 0))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        self.build_seconds = time.perf_counter() - started

    def search(self, q: str, date_from=None, date_to=None) -> int:
        t = self.tantivy
        words, phrases = words_and_phrases(q)
        text = " OR ".join(words + [f'"{p}"' for p in phrases])
        clauses = []
        if text:
            clauses.append((t.Occur.Must, self.index.parse_query(text, ["title", "body"])))
        if date_from:
            low = int(datetime(date_from.year, date_from.month, date_from.day, tzinfo=timezone.utc).timestamp())
            high = int(datetime(date_to.year, date_to.month, date_to.day, 23, 59, 59, tzinfo=timezone.utc).timestamp())
            clauses.append((t.Occur.Must, t.Query.range_query(self.schema, "published", t.FieldType.Integer, low, high)))
        query = t.Query.boolean_query(clauses) if clauses else t.Query.all_query()
        if text:
            hits = self.searcher.search(query, 10).hits
            snippets = t.SnippetGenerator.create(self.searcher, query, self.schema, "body")
            for _, address in hits:
                snippets.snippet_from_doc(self.searcher.doc(address)).to_html()
        else:
            hits = self.searcher.search(query, 10, order_by_field="published").hits
            for _, address in hits:
                self.searcher.doc(address)
        aggregated = self.searcher.aggregate(query, {
            "sources": {"terms": {"field": "source", "size": 20}},
            "months": {"terms": {"field": "month", "size": 1000}}})
        return sum(bucket["doc_count"] for bucket in aggregated["months"]["buckets"])


class RawWhoosh:
    """Plain Whoosh over title and body, with source and month facets; built in `folder` unless it is there."""

    name = "whoosh"

    def __init__(self, folder: Path, records):
        from whoosh import index as whoosh_index
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
        from whoosh.qparser import MultifieldParser, OrGroup
        from whoosh.sorting import FieldFacet

        path = Path(folder) / "whoosh"
        started = time.perf_counter()
        if whoosh_index.exists_in(str(path)):
            ix = whoosh_index.open_dir(str(path))
        else:
            path.mkdir(parents=True, exist_ok=True)
            schema = Schema(id=ID(stored=True), title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
                            body=TEXT(analyzer=StemmingAnalyzer(), stored=True, phrase=True),
                            source=ID(stored=True, sortable=True), month=ID(stored=True, sortable=True),
                            published=NUMERIC(stored=True, sortable=True), data=STORED())
            ix = whoosh_index.create_in(str(path), schema)
            writer = ix.writer(limitmb=256)
            for i, r in enumerate(records, 1):
                writer.add_document(id=str(i), title=r.get("title") or "", body=r["body"], source="Reuters",
                                    month=_month(r.get("date")) or "none", published=_epoch(r.get("date")) or 0)
            writer.commit()
        self.build_seconds = time.perf_counter() - started
        self.searcher = ix.searcher()
        self.parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)
        self.facets = {"source": FieldFacet("source"), "month": FieldFacet("month")}
        self.query = __import__("whoosh.query", fromlist=["query"])

    def search(self, q: str, date_from=None, date_to=None) -> int:
        Q = self.query
        words, phrases = words_and_phrases(q)
        text = " OR ".join(words + [f'"{p}"' for p in phrases])
        clauses = [self.parser.parse(text)] if text else []
        if date_from:
            low = int(datetime(date_from.year, date_from.month, date_from.day, tzinfo=timezone.utc).timestamp())
            high = int(datetime(date_to.year, date_to.month, date_to.day, 23, 59, 59, tzinfo=timezone.utc).timestamp())
            clauses.append(Q.NumericRange("published", low, high))
        query = Q.And(clauses) if clauses else Q.Every()
        if text:
            results = self.searcher.search(query, limit=10, groupedby=self.facets, terms=True)
            for hit in results:
                hit.highlights("body")
        else:
            results = self.searcher.search(query, limit=10, sortedby="published", reverse=True, groupedby=self.facets)
        return sum(len(docs) for docs in results.groups("month").values())
