"""The `newsindex` command: a thin shell over the Index API (sqlite-utils' habit).

    newsindex ingest ../shared/corpus/seeds/          # files or folders
    newsindex search "Kalbajar" --json
    newsindex serve --port 8000 --workers 2           # gunicorn
    newsindex keys create --name cms --scope write    # API keys

`ingest` and `search` import no Flask, so they start fast; `serve` execs
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
                  help="Index directory (default: NEWSINDEX_INDEX_DIR or ./var/index).")
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
@click.option("--batch-size", type=int, default=None, help="Articles per commit (default 500).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@settings_options
def ingest(paths, entities, batch_size, as_json, settings):
    """Add or update articles from files and folders (.txt, .json, .jsonl, .html).

    Example: newsindex ingest ../shared/corpus/seeds/
    """
    from index import IndexBusy, read_articles
    settings = settings.replace(entities=entities)
    with open_index(settings, create=True) as index:
        try:
            report = index.ingest(read_articles(paths, index.outlets), batch_size=batch_size)
        except IndexBusy as exc:
            raise click.ClickException(f"{exc}; is another ingest running?") from None
    if as_json:
        click.echo(json.dumps({
            "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
            "passages": report.passages, "without_date": report.without_date, "seconds": round(report.seconds, 3),
        }))
        return
    for skipped in report.skipped:
        click.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)
    click.echo(f"Ingested into {settings.index_dir}: {report.summary()}")


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


if __name__ == "__main__":  # pragma: no cover
    cli()
