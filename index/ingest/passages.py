"""Splitting an article body into passages of about 60-120 words.

Passages are what a result shows and what highlighting marks, so they must read
well on their own: they start and end on sentence boundaries (never mid-sentence),
and they follow paragraphs where paragraphs allow.  A single sentence longer than
the maximum becomes a passage of its own rather than being cut, up to
MAX_SENTENCE_WORDS: past that it is not a sentence but a run of text with no
full stop (a pasted table, hostile input), and it is cut every MAX_WORDS words,
so no passage is unboundedly long.
"""

from __future__ import annotations

import re

from index.article import Passage

MIN_WORDS = 60
MAX_WORDS = 120
MAX_SENTENCE_WORDS = 400

# Words after which a full stop does not end a sentence.
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "cmdr", "adm", "gov", "sen",
    "rep", "pres", "st", "mt", "ft", "jr", "sr", "vs", "etc", "inc", "ltd", "co", "corp", "no", "nos",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "u.k", "u.n", "e.g", "i.e", "approx", "dept", "est", "fig", "min", "max",
}

# A candidate boundary: end punctuation, optional closing quotes/brackets, then space.
_BOUNDARY = re.compile(r"""(?<![.!?…])[.!?…]++["'”’)\]]*+\s+""")  # from a run's start only: linear
_NEXT_STARTS_SENTENCE = re.compile(r"""["'“‘(\[]*[A-Z0-9À-ÖØ-Þ]""")


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph into sentences, keeping abbreviations and initials intact."""
    sentences, start = [], 0
    for match in _BOUNDARY.finditer(paragraph):
        word = _word_before(paragraph, start, match.start() + 1).lower()
        if not _NEXT_STARTS_SENTENCE.match(paragraph, match.end()):
            continue
        if match.group().startswith(".") and (word in ABBREVIATIONS or len(word) == 1 and word.isalpha()):
            continue
        sentences.append(paragraph[start:match.end()].strip())
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _word_before(text: str, start: int, end: int) -> str:
    """The word ending `text[start:end]` once closing punctuation is left off ("U.S" of "the U.S.)"),
    read backwards: the last run of word characters and dots, without scanning from `start` each time."""
    while end > start and text[end - 1] in ".!?…\"'”’)]":
        end -= 1
    first = end
    while first > start and (text[first - 1].isalnum() or text[first - 1] in "._"):
        first -= 1
    return text[first:end]


def _bounded(sentence: str, max_words: int) -> list[str]:
    """The sentence, or pieces of `max_words` words when it runs past MAX_SENTENCE_WORDS."""
    words = sentence.split()
    if len(words) <= MAX_SENTENCE_WORDS:
        return [sentence]
    return [" ".join(words[i:i + max_words]) for i in range(0, len(words), max_words)]


def split_passages(body: str, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> list[Passage]:
    """Cut a body (paragraphs separated by blank lines or newlines) into passages.

    Greedy: add sentences while the passage stays under `max_words`; once it has
    `min_words`, prefer to close it at a paragraph end.  A short tail is merged
    into the previous passage when the result stays readable (<= 1.25 * max).
    """
    chunks: list[list[str]] = []  # each chunk: list of paragraphs-in-progress text pieces
    current: list[str] = []
    words = 0

    def flush() -> None:
        nonlocal current, words
        if current:
            chunks.append(current)
        current, words = [], 0

    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", body) if p.strip()]
    for paragraph in paragraphs:
        sentences = [piece for sentence in split_sentences(paragraph) for piece in _bounded(sentence, max_words)]
        for i, sentence in enumerate(sentences):
            n = len(sentence.split())
            if current and words + n > max_words:
                flush()
            # Sentences of one paragraph are joined with a space, paragraphs with a newline.
            if current and i > 0:
                current[-1] = f"{current[-1]} {sentence}"
            else:
                current.append(sentence)
            words += n
        if words >= min_words:
            flush()
    flush()

    if len(chunks) > 1:
        tail_words = sum(len(p.split()) for p in chunks[-1])
        prev_words = sum(len(p.split()) for p in chunks[-2])
        if tail_words < min_words // 2 and prev_words + tail_words <= max_words * 1.25:
            chunks[-2].extend(chunks.pop())
    return [Passage(position=i, text="\n".join(chunk)) for i, chunk in enumerate(chunks)]
