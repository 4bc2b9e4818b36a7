"""Known news outlets: many spellings, one display name.

Read from a TOML file (config/outlets.toml, setting `outlets_file`) so editors can
add outlets without code.  Matching folds case and accents and lets spaces come
and go, so "TRTWorld and agencies" and "DAILY SABAH" find their outlets.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.text.analysis import fold


@dataclass(frozen=True)
class Outlets:
    """A compiled list of outlets: `find` and `normalise` are the whole interface."""

    patterns: tuple[tuple[re.Pattern, str], ...]

    def find(self, text: str) -> str | None:
        """The display name of the first known outlet named in `text`, or None."""
        folded = fold(text)
        best: tuple[int, int, str] | None = None
        for pattern, name in self.patterns:
            match = pattern.search(folded)
            if match and (best is None or (match.start(), -len(match.group())) < best[:2]):
                best = (match.start(), -len(match.group()), name)
        return best[2] if best else None

    def normalise(self, source: str | None) -> str | None:
        """A stated source as its outlet's display name; unknown names are tidied, not dropped."""
        if not source or not source.strip():
            return None
        known = self.find(source)
        if known:
            return known
        cleaned = re.sub(r"\s+(?:and|&)\s+agencies\b.*$", "", source.strip(), flags=re.IGNORECASE)
        return cleaned.strip(" .,;:") or None


@lru_cache(maxsize=8)
def load_outlets(path: Path) -> Outlets:
    """Compile the outlets file; a missing file means no known outlets."""
    path = Path(path)
    if not path.exists():
        return Outlets(patterns=())
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    patterns = []
    for outlet in data.get("outlet", []):
        name = outlet["name"]
        for spelling in {name, *outlet.get("spellings", [])}:
            # Letters of the spelling with optional spaces between its words.
            body = r"\s*".join(re.escape(w) for w in fold(spelling).split())
            patterns.append((re.compile(rf"(?<![\w.]){body}(?![\w])"), name))
    # Longer spellings first so "Hurriyet Daily News" beats "Daily News".
    patterns.sort(key=lambda item: -len(item[0].pattern))
    return Outlets(patterns=tuple(patterns))
