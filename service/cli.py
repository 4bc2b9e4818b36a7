"""The `newsindex` command: a thin shell over the Index API (sqlite-utils' habit).

    newsindex ingest ../shared/corpus/seeds/          # files or folders
    newsindex search "Kalbajar" --json
    newsindex serve --port 8000 --workers 2           # gunicorn
    newsindex keys create --name cms --scope write    # API keys
    newsindex stats                                   # what the index holds
    newsindex optimize                                # merge segments after a bulk import

`ingest`, `search`, `stats` and `optimize` import no Flask, so they start fast; `serve` execs
gunicorn with config/gunicorn.conf.py.  User mistakes end in a one-line
message with a hint, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from functools import wraps
from pathlib import Path

import click

from config.settings import CONFIG_DIR, Settings, SettingsError


def settings_options(func):
    """--index and --aliases, shared by every command that opens the index."""
    @click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Index directory (default: NEWSINDEX_INDEX_DIR, else var/index of the checkout).")
    @click.option("--aliases", type=click.Path(dir_okay=False, path_type=Path),
                  help="Editorial alias file (default: NEWSINDEX_ALIASES or config/aliases.toml).")
    @wraps(func)
    def wrapper(*args, index_dir=None, aliases=None, **kwargs):
        try:
            settings = Settings.from_env(index_dir=index_dir, aliases=aliases)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
        return func(*args, settings=settings, **kwargs)
    return wrapper


def open_index(settings: Settings, create: bool = False):
    from index import AliasFileError, Index
    try:
        return Index.open(settings.index_dir, create=create, settings=settings)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    except AliasFileError as exc:
        raise click.ClickException(f"alias file: {exc}") from None


@click.group()
@click.version_option(package_name="newsindex")
def cli():
    """newsindex: a searchable index of news articles."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--entities/--no-entities", default=None, help="Extract named entities (default: on).")
@click.option("--batch-size", type=int, default=None, help="Articles per commit (default NEWSINDEX_INGEST_BATCH_SIZE, 2000).")
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines: one per committed batch (with its ids), then the report.")
@click.option("--progress", is_flag=True,
              help="Print one JSON line per committed batch, with the ids it committed, then the summary.")
@click.option("--verbose", "-v", is_flag=True, help="List every skipped file or line and every warning.")
@click.option("--source", default=None, help="Source of the articles that state none (e.g. --source Reuters).")
@settings_options
def ingest(paths, entities, batch_size, as_json, progress, verbose, source, settings):
    """Add or update articles from files and folders (.txt, .json, .jsonl, .html).

    On a terminal a progress bar shows the articles committed so far; at the
    end a summary gives what was added, updated, unchanged and skipped (by
    reason, with the first few paths of each).  With --json or --progress,
    every commit prints {"batch": n, "committed": [ids], ...} as soon as it is
    on disk: an id printed there survives a crash.

    Example: newsindex ingest ../shared/corpus/seeds/
    """
    import logging

    from index import IndexBusy, read_articles
    from index.errors import IndexFull
    from service import ingest_output as out

    settings = settings.replace(entities=entities)
    lines_out = as_json or progress
    bar = not lines_out and sys.stderr.isatty()
    # Skips are summarised at the end, not logged one by one as they happen.
    logging.getLogger("index").setLevel(logging.DEBUG if verbose else logging.ERROR)
    batches = 0

    def on_batch(report) -> None:
        nonlocal batches
        batches += 1
        if lines_out:
            click.echo(out.batch_line(batches, report))
            sys.stdout.flush()
        meter.advance(report)

    with open_index(settings, create=True) as index:
        with out.Progress(bar, out.estimate_total(paths) if bar else None) as meter:
            try:
                items = read_articles(paths, index.outlets, source=source, settings=settings)
            except ValueError as exc:  # a malformed NEWSINDEX_FIELD_MAP
                raise click.ClickException(f"NEWSINDEX_FIELD_MAP: {exc}") from None
            try:
                report = index.ingest(items, batch_size=batch_size, processes=settings.ingest_processes,
                                      on_batch=on_batch)
            except IndexBusy as exc:
                raise click.ClickException(f"{exc}; is another ingest running?") from None
            except IndexFull as exc:
                raise click.ClickException(f"{exc}; batches committed before this one are kept") from None
    if as_json:
        click.echo(out.report_json(report, settings.index_dir))
        return
    out.echo_lines(out.summary_lines(report, settings.index_dir, verbose))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@settings_options
def stats(as_json, settings):
    """Show what the index holds: articles, passages, segments, size on disk, last commit.

    Example: newsindex stats --json
    """
    from datetime import datetime, timezone
    with open_index(settings) as index:
        figures = {"index": str(settings.index_dir), **index.stats()}
    if as_json:
        click.echo(json.dumps(figures))
        return
    last = figures.get("last_commit")
    when = datetime.fromtimestamp(last, timezone.utc).isoformat(timespec="seconds") if last else "never"
    click.echo(f"index        {figures['index']}")
    click.echo(f"articles     {figures['articles']:,}")
    click.echo(f"passages     {figures['passages']:,}")
    click.echo(f"segments     {figures['segments']:,}")
    click.echo(f"size         {figures['size_bytes'] / 1e6:,.1f} MB")
    click.echo(f"last commit  {when} (generation {figures['generation']})")


@cli.command()
@click.option("--segments", type=click.IntRange(min=1), default=1, show_default=True,
              help="Merge until at most this many segments are left.")
@settings_options
def optimize(segments, settings):
    """Merge the index's segments after a bulk import: searches visit fewer of them.

    Searches and writes go on meanwhile; a background merge running is waited for.
    Example: newsindex optimize --segments 2
    """
    import time
    started = time.perf_counter()
    with open_index(settings) as index:
        before = index.stats()["segments"]
        merges = index.optimize(segments)
        after = index.stats()["segments"]
    click.echo(f"{before} -> {after} segments ({merges} merge(s), {time.perf_counter() - started:.1f} s) "
               f"in {settings.index_dir}")


@cli.command()
@click.option("--wait/--background", default=True, help="Extract now and wait (default), or start the background enricher.")
@settings_options
def enrich(wait, settings):
    """Extract the entities of articles ingested with NEWSINDEX_ENRICH=background that are still pending.

    Example: newsindex enrich
    """
    with open_index(settings) as index:
        if not wait:
            from index.enrichment import start_background
            start_background(index.path, settings.as_env())
            click.echo(f"{index.stats()['pending']} articles pending; the enricher runs in the background")
            return
        done = index.enrich()
    click.echo(f"Enriched {done} articles in {settings.index_dir}")


@cli.command()
@click.argument("query", default="")
@click.option("--source", multiple=True, help="Only this source (repeatable).")
@click.option("--entity", multiple=True, help="Only articles naming this entity (repeatable: all must match).")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Published on or after.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance")
@click.option("--match", type=click.Choice(["auto", "all", "any"]), default="auto")
@click.option("--page", type=int, default=1)
@click.option("--per-page", type=int, default=10)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON instead of text.")
@settings_options
def search(query, source, entity, date_from, date_to, sort, match, page, per_page, as_json, settings):
    """Search the index (Whoosh syntax: words, "phrases", AND/OR/NOT, title:).

    Example: newsindex search '"joint centre"' --json
    """
    from index import InvalidQuery, SearchRequest
    request = SearchRequest(q=query, source=list(source), entity=list(entity),
                            date_from=date_from.date() if date_from else None,
                            date_to=date_to.date() if date_to else None,
                            sort=sort, match=match, page=page, per_page=per_page)
    with open_index(settings) as index:
        try:
            result = index.search(request)
        except InvalidQuery as exc:
            raise click.ClickException(f"{exc.param}: {exc}") from None
    if as_json:
        from service.schemas import SearchOut
        click.echo(json.dumps(SearchOut().dump({**vars(result), "pages": result.pages}), ensure_ascii=False))
        return
    click.echo(f"{result.total} article(s), page {result.page} of {result.pages}")
    for rank, hit in enumerate(result.hits, start=(result.page - 1) * result.per_page + 1):
        date = hit.published.date().isoformat() if hit.published else "no date"
        click.echo(f"\n{rank}. {hit.title}\n   {hit.source or 'unknown source'} · {date} · id {hit.id}")
        for passage in hit.passages[:1]:
            text = passage.html.replace("<mark>", "[").replace("</mark>", "]")
            click.echo(f"   {text[:300]}")


@cli.command()
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), help="Index directory.")
@click.option("--host", help="Bind address (default 127.0.0.1).")
@click.option("--port", type=int, help="Port (default 8000).")
@click.option("--workers", type=int, help="Worker processes (default: number of cores).")
def serve(index_dir, host, port, workers):
    """Serve the API and search page with gunicorn.

    Example: newsindex serve --port 8000 --workers 2
    """
    env = dict(os.environ)
    for name, value in (("INDEX_DIR", index_dir), ("HOST", host), ("PORT", port), ("WORKERS", workers)):
        if value is not None:
            env[f"NEWSINDEX_{name}"] = str(value)
    try:
        Settings.from_env(env)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    args = [sys.executable, "-m", "gunicorn", "-c", str(CONFIG_DIR / "gunicorn.conf.py")]
    os.execve(sys.executable, args, env)


@cli.group()
def keys():
    """Manage API keys (only their hashes are stored, in NEWSINDEX_KEYS_FILE).

    Example: newsindex keys create --name cms --scope write
    """


def keys_file_option(func):
    return click.option("--keys-file", type=click.Path(dir_okay=False, path_type=Path),
                        help="Keys file (default: NEWSINDEX_KEYS_FILE, else var/keys.json of the checkout).")(func)


def _keys_file(keys_file: Path | None) -> Path:
    try:
        return keys_file or Settings.from_env().keys_file
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@keys.command("create")
@click.option("--name", required=True, help="Who the key is for (unique), e.g. cms.")
@click.option("--scope", type=click.Choice(["read", "write", "admin"]), default="read", show_default=True,
              help="read: search; write: also create, replace, delete; admin: everything.")
@keys_file_option
def keys_create(name, scope, keys_file):
    """Create a key and print it, once: only its hash is kept.

    Example: newsindex keys create --name cms --scope write
    """
    from service.auth import KeysFileError, create_key
    path = _keys_file(keys_file)
    try:
        key = create_key(path, name, scope)
    except KeysFileError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(key)
    click.echo(f"Key {name!r} ({scope}) stored in {path}. Copy it now: it cannot be shown again.", err=True)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
@keys_file_option
def keys_list(as_json, keys_file):
    """List keys: name, scope and creation time (never the keys).

    Example: newsindex keys list
    """
    from service.auth import KeysFileError, read_keys
    try:
        stored = read_keys(_keys_file(keys_file))
    except KeysFileError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps([{"name": k.name, "scope": k.scope, "created": k.created} for k in stored]))
        return
    if not stored:
        click.echo("No keys. Create one with: newsindex keys create --name NAME --scope write")
    for k in stored:
        click.echo(f"{k.name}\t{k.scope}\t{k.created}")


@keys.command("revoke")
@click.argument("name")
@keys_file_option
def keys_revoke(name, keys_file):
    """Revoke the key called NAME: it stops working at once, in every worker.

    Example: newsindex keys revoke cms
    """
    from service.auth import KeysFileError, revoke_key
    try:
        revoke_key(_keys_file(keys_file), name)
    except KeysFileError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Revoked {name!r}.")


if __name__ == "__main__":  # pragma: no cover
    cli()
