"""The editorial alias file: names that editors say are one entity.

A TOML file of `[[entity]]` tables (`name`, `type`, `aliases`), read at start-up.
At ingest an alias becomes its canonical entity; at query time a word or phrase
that is an alias is expanded to the canonical name and its other aliases, and the
response says so.  A malformed file raises AliasFileError naming file, line and
problem, so a typo stops start-up instead of silently changing results.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from index.text.analysis import fold
from index.article import ENTITY_TYPES
from index.errors import AliasFileError


_DOTTED = re.compile(r"^(?:\w\.)+\w?\.?$")
# British and American spellings of the words organisations are named with: one key.
_SPELLINGS = {"isation": "ization", "co operat": "cooperat", "defence": "defense", "centre": "center",
              "labour": "labor"}
_SPELLING = re.compile(r"isation|\bco operat|\bdefence\b|\bcentre\b|\blabour\b")


_POSSESSIVE = re.compile(r"(?:'s|'|s')$")
_ARTICLE = re.compile(r"^the\s+")
_SEPARATORS = re.compile(r"[-,/]+")
_OTHER = re.compile(r"[^\w\s.&']+")


@lru_cache(maxsize=1 << 15)
def entity_key(name: str) -> str:
    """The folded form an entity is known by.

    "the Kremlin's" -> "kremlin", "Nagorno-Karabakh" -> "nagorno karabakh", and
    acronyms lose their dots: "U.S." -> "us", "U.N." -> "un" (one key with or without them),
    and British spellings become American ones: "Organisation" -> "organization",
    "Co-operation" -> "cooperation", "Defence" -> "defense", "Centre" -> "center".
    """
    key = fold(name)
    key = _POSSESSIVE.sub(lambda m: "s" if m.group() == "s'" else "", key)
    key = _ARTICLE.sub("", key)
    key = _SEPARATORS.sub(" ", key)
    key = _OTHER.sub("", key)
    key = " ".join(w.replace(".", "") if _DOTTED.match(w) else w for w in key.split())
    key = _SPELLING.sub(lambda m: _SPELLINGS[m.group()], key)
    return key.strip(" .'")


def starts_with_article(text: str) -> bool:
    """Whether `text` starts with the article an entity key leaves out ("The Bank of England")."""
    return bool(_ARTICLE.match(fold(text).lstrip()))


@dataclass(frozen=True)
class AliasEntry:
    """One editorial entity: its canonical name and every name that means it."""

    name: str
    type: str
    aliases: tuple[str, ...]

    @property
    def key(self) -> str:
        return entity_key(self.name)

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


@dataclass
class Aliases:
    """All entries, looked up by the key of any of their names."""

    entries: list[AliasEntry] = field(default_factory=list)
    path: Path | None = None

    def __post_init__(self) -> None:
        self._by_key = {entity_key(n): e for e in self.entries for n in e.names}
        self._by_terms: dict | None = None

    def by_terms(self) -> dict[tuple[str, ...], AliasEntry]:
        """Entries by the index terms of each of their names (for query expansion), built once."""
        if self._by_terms is None:
            from index.text.analysis import terms
            self._by_terms = {tuple(terms(n)): e for e in self.entries for n in e.names if terms(n)}
        return self._by_terms

    def lookup(self, name_or_key: str) -> AliasEntry | None:
        return self._by_key.get(entity_key(name_or_key))

    def __len__(self) -> int:
        return len(self.entries)


def _line_of_entry(text: str, number: int, key: str | None = None) -> int:
    """The line of the `number`-th (0-based) [[entity]] table, or of its `key` when given."""
    starts = [m.start() for m in re.finditer(r"^[ \t]*\[\[entity\]\]", text, flags=re.MULTILINE)]
    if number >= len(starts):
        return 1
    start = starts[number]
    if key:
        end = starts[number + 1] if number + 1 < len(starts) else len(text)
        found = re.compile(rf"^[ \t]*{re.escape(key)}[ \t]*=", re.MULTILINE).search(text, start, end)
        if found:
            start = found.start()
    return text.count("\n", 0, start) + 1


def load_aliases(path: Path | str | None) -> Aliases:
    """Read and check an alias file; a missing path gives no aliases.

    Raises AliasFileError("FILE:LINE: problem") for TOML syntax errors and for
    entries without a name, with an unknown type, or with aliases that are not strings.
    """
    if path is None or not Path(path).exists():
        return Aliases()
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _lineno_from_message(str(exc))
        raise AliasFileError(f"{path}:{line}: {exc}") from None
    unknown = set(data) - {"entity"}
    if unknown:
        raise AliasFileError(f"{path}:1: unknown table(s) {sorted(unknown)}; expected [[entity]] tables")
    entries = []
    for number, raw in enumerate(data.get("entity", [])):
        def where(key: str | None = None) -> str:
            return f"{path}:{_line_of_entry(text, number, key)}"
        if not isinstance(raw, dict):
            raise AliasFileError(f"{where()}: each [[entity]] must be a table")
        name, type_, aliases = raw.get("name"), raw.get("type", "person"), raw.get("aliases", [])
        if not isinstance(name, str) or not name.strip():
            raise AliasFileError(f"{where('name')}: entity needs a non-empty `name`")
        if type_ not in ENTITY_TYPES:
            raise AliasFileError(f"{where('type')}: type {type_!r} of {name!r} must be one of {', '.join(ENTITY_TYPES)}")
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise AliasFileError(f"{where('aliases')}: `aliases` of {name!r} must be a list of non-empty strings")
        extra = sorted(set(raw) - {"name", "type", "aliases"})
        if extra:
            raise AliasFileError(f"{where(extra[0])}: unknown key(s) {extra} in entity {name!r}")
        entries.append(AliasEntry(name=name.strip(), type=type_, aliases=tuple(a.strip() for a in aliases)))
    return Aliases(entries=entries, path=path)


def _lineno_from_message(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 1
