"""Build spelling_variants.tsv and compounds.tsv from their maintained sources.

Not run at install or at run time: the two TSV files beside this script are
committed, and this is how they were made (README.md here names the sources,
versions and licences).  Re-run it when a source is updated:

    python index/text/data/build_lists.py --varcon varcon.txt \
        --wordnet /usr/share/wordnet --scowl /usr/share/dict/scowl

- `--varcon`: VarCon's varcon.txt (SCOWL project, github.com/en-wl/wordlist, varcon/varcon.txt).
- `--wordnet`: the WordNet 3.0 database folder (Debian's `wordnet-base`: data.noun, data.adj, ...).
- `--scowl`: SCOWL's word lists (Debian's `scowl`: american-words.10 ...), used only to check
  that a closed compound is a dictionary word.

Spelling variants: every line of VarCon that gives an American ("A") spelling and
a British, Canadian or Australian one (primary or "v"/"V" variant, never the
"-" or "x" ones) maps the other spelling to the American one.  Lines whose
spellings depend on a word sense (VarCon's usage notes, such as disc/disk or
prise/prize) are left out, since folding them would merge different words; so
is a spelling that would map to two different words.

Compounds (two parts, each at least three letters and neither a particle such as
"off" or "out", so "co op" never becomes "coop"):
- WordNet synsets that hold both an open or hyphenated lemma and its closed form
  (health_care / healthcare, whistle-blower / whistleblower);
- WordNet hyphenated nouns and adjectives whose closed form is a SCOWL word
  (cease-fire -> ceasefire, which WordNet 3.0 does not list closed);
- VarCon lines that spell one word both hyphenated and closed (warm-up / warmup).
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REGIONAL = set("BZCD")  # British (-ise), British (-ize), Canadian, Australian
POS_NOTE = re.compile(r"^(<[A-Za-z]+>\s*)+$")
PARTICLES = {"off", "out", "over", "down", "away", "about", "along", "around", "through", "the", "and", "for", "are", "not", "you", "yet", "may", "can", "will",
             "from", "have", "that", "this", "when", "with", "your", "tbd"}


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def varcon_lines(path: Path):
    """(entries, notes) per data line of varcon.txt: entries are (tags, spelling)."""
    for raw in path.read_text(encoding="latin-1").splitlines():
        if raw.startswith("#"):
            continue
        body, *notes = raw.split("#", 1)[0].split(" | ")
        if not body.strip():
            continue
        entries = []
        for entry in body.strip().split(" / "):
            tags, spelling = entry.split(": ", 1)
            entries.append((tags.split(), spelling.strip()))
        yield entries, [n.strip() for n in notes if n.strip()]


def spelling_variants(varcon: Path) -> dict[str, str]:
    mapped: dict[str, set[str]] = defaultdict(set)
    for entries, notes in varcon_lines(varcon):
        if any(not POS_NOTE.match(n) for n in notes):
            continue  # sense-specific spellings: folding them would merge different words
        american = next((w for tags, w in entries if "A" in tags), None)
        if american is None:
            continue
        for tags, word in entries:
            if word == american or " " in word or "-" in word:
                continue
            if any(t[0] in REGIONAL and t[1:] in ("", "v", "V", ".") for t in tags if not t.isdigit()):
                mapped[fold(word)].add(fold(american))
    table = {w: next(iter(c)) for w, c in mapped.items() if len(c) == 1 and w not in c}
    for word, canonical in list(table.items()):  # follow chains (a -> b -> c), drop cycles
        seen = {word}
        while canonical in table and canonical not in seen:
            seen.add(canonical)
            canonical = table[canonical]
        if canonical in seen:
            del table[word]
        else:
            table[word] = canonical
    return dict(sorted(table.items()))


def wordnet_lemmas(wordnet: Path) -> dict[str, set[tuple[str, str]]]:
    """Lemma -> the (pos, offset) of every noun and adjective synset it belongs to."""
    synsets: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for pos in ("noun", "adj"):
        for line in (wordnet / f"data.{pos}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            fields = line.split()
            count = int(fields[3], 16)
            for i in range(count):
                lemma = re.sub(r"\(.*\)$", "", fields[4 + 2 * i]).lower()
                synsets[lemma].add((pos, fields[0]))
    return synsets


def scowl_words(scowl: Path, max_level: int = 70) -> set[str]:
    words = set()
    for path in scowl.glob("*-words.*"):
        level = path.suffix.lstrip(".")
        if level.isdigit() and int(level) <= max_level:
            words.update(w.strip() for w in path.read_text(encoding="latin-1").splitlines() if w.strip().islower())
    return words


def is_compound(parts: list[str]) -> bool:
    return len(parts) == 2 and all(p.isalpha() and len(p) >= 3 and p not in PARTICLES for p in parts)


def compounds(varcon: Path, wordnet: Path, scowl: Path) -> list[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    synsets = wordnet_lemmas(wordnet)
    dictionary = scowl_words(scowl)
    for lemma, where in synsets.items():
        parts = re.split(r"[-_]", lemma)
        if not is_compound(parts):
            continue
        closed = "".join(parts)
        if where & synsets.get(closed, set()) or ("-" in lemma and closed in dictionary):
            found.add((parts[0], parts[1]))
    for entries, _ in varcon_lines(varcon):
        spellings = {fold(w) for _, w in entries}
        for word in spellings:
            parts = word.split("-")
            if is_compound(parts) and "".join(parts) in spellings:
                found.add((parts[0], parts[1]))
    return sorted(found)


def write(path: Path, header: str, rows) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(header)
        for row in rows:
            out.write("\t".join(row) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--varcon", type=Path, required=True)
    parser.add_argument("--wordnet", type=Path, required=True)
    parser.add_argument("--scowl", type=Path, required=True)
    args = parser.parse_args()
    variants = spelling_variants(args.varcon)
    write(HERE / "spelling_variants.tsv",
          "# spelling<TAB>American spelling. Derived from VarCon (SCOWL) by build_lists.py; see README.md.\n",
          variants.items())
    pairs = compounds(args.varcon, args.wordnet, args.scowl)
    write(HERE / "compounds.tsv",
          "# first part<TAB>second part (closed form: the two joined). Derived from WordNet 3.0, SCOWL and\n"
          "# VarCon by build_lists.py; see README.md.\n", pairs)
    print(f"{len(variants)} spelling variants, {len(pairs)} compounds")


if __name__ == "__main__":
    main()
