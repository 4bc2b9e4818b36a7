"""Reflowing hard-wrapped text into paragraphs, keeping the real paragraph breaks.

Wire copy, e-mail and old plain-text archives break lines at a fixed width
(Reuters at about 70 characters); shown as written, every line looks like a
paragraph and a passage may stop in the middle of a sentence.  `reflow(text)`
returns the text as paragraphs separated by one blank line, each paragraph on
one line.  A line break is kept as a paragraph break when

* a blank line follows (the usual paragraph break);
* the next line is indented further than the text's flush-left lines (Reuters
  indents each paragraph start by four spaces; a table's rows are indented);
* either line is a table row (runs of dots or of spaces between columns) or
  the next line starts a list item;
* the text does not indent paragraph starts and either is not hard-wrapped at all (its lines are long or of every length:
  one paragraph a line, as most saved articles are), or it is wrapped but the
  break was not forced by the width: the next line's first word would have fit
  (a short line is a deliberate break), unless the next line plainly continues
  a sentence (it starts in lower case after a line with no closing punctuation,
  in a text whose lines are all short enough to have been wrapped).

Otherwise the lines are joined with a space; a word broken at a hyphen keeps
its hyphen and loses the break ("cease-" + "fire" -> "cease-fire").
"""

from __future__ import annotations

import re

# Hard-wrapped text is wrapped at some width up to this; longer lines are paragraphs.
MAX_WRAP_WIDTH = 110
MIN_WRAP_WIDTH = 40
# A wrapped line may end this many characters short of the width before the next word.
WRAP_SLACK = 3

# Dot leaders, column gaps, tabs and rules (searched in a stripped line: a gap is inside it).
_TABLE_ROW = re.compile(r"\.\.\.\.\.|   |\t|____|----|===")
_LIST_ITEM = re.compile(r"[-*•·‣–] |\(?\d{1,3}[.)] |\(?[a-z][.)] ")
_SENTENCE_END = re.compile(r"""[.!?:;…]["'”’)\]]*$""")


class _Line:
    __slots__ = ("text", "indent", "is_table")

    def __init__(self, raw: str):
        self.text = raw.strip()
        self.indent = len(raw) - len(raw.lstrip(" "))
        self.is_table = bool(_TABLE_ROW.search(self.text))


def reflow(text: str, starts_cut: bool = False) -> str:
    """The text as paragraphs separated by blank lines, hard-wrapped lines joined (see module docstring).

    `starts_cut`: the text is a body whose first line may have lost its start
    (Reuters records, whose dateline was taken off the first line), so in
    wrapped text a first line without closing punctuation runs on into the next.
    """
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n")
    lines = [_Line(raw) if raw.strip() else None for raw in raw_lines]
    width = wrap_width(lines)
    # Short texts show no width; any text with no line over MAX_WRAP_WIDTH may still be wrapped.
    may_wrap = all(line is None or line.indent + len(line.text) <= MAX_WRAP_WIDTH for line in lines)
    indented = uses_indented_paragraphs(lines)
    base = min((line.indent for line in lines if line is not None), default=0)
    paragraphs: list[list[str]] = []
    previous = None
    for number, line in enumerate(lines):
        if line is None:
            previous = None
            continue
        if previous is not None and line.indent <= base + 1 and (
                continues(previous, line, width, indented, may_wrap)
                or starts_cut and number == 1 and may_wrap and _runs_on(previous, line)):
            paragraphs[-1].append(line.text)
        else:
            paragraphs.append([line.text])
        previous = line
    return "\n\n".join(_join(p) for p in paragraphs)


def wrap_width(lines: list) -> int | None:
    """The width the text is hard-wrapped at, or None when it is not hard-wrapped.

    Wrapped text has a longest ordinary line of at most MAX_WRAP_WIDTH and many
    lines close to it; a paragraph-per-line text has long lines of every length.
    """
    lengths = sorted(line.indent + len(line.text) for line in lines if line is not None and not line.is_table)
    if len(lengths) < 3:
        return None
    width = lengths[int(0.95 * (len(lengths) - 1))]
    if width > MAX_WRAP_WIDTH or width < MIN_WRAP_WIDTH:
        return None
    near = sum(1 for n in lengths if n >= 0.8 * width)
    return width if near >= max(2, 0.4 * len(lengths)) else None


def uses_indented_paragraphs(lines: list) -> bool:
    """True when paragraph starts are indented and their continuation lines are flush left (Reuters)."""
    starts = continuations = 0
    for previous, line in zip(lines, lines[1:]):
        if line is None or previous is None:
            continue
        if line.indent >= 2 and line.indent > previous.indent:
            starts += 1
        elif line.indent == 0 and previous.indent >= 2:
            continuations += 1
    return starts >= 1 and continuations >= 1


def continues(previous: _Line, line: _Line, width: int | None, indented: bool, may_wrap: bool = True) -> bool:
    """Does `line` continue the paragraph `previous` ends? (The rules are in the module docstring.)"""
    if previous.is_table or line.is_table or _LIST_ITEM.match(line.text):
        return False
    if indented:
        return True  # flush left after an indented paragraph start
    if width is not None:
        first_word = line.text.split(" ", 1)[0]
        if previous.indent + len(previous.text) + 1 + len(first_word) > width - WRAP_SLACK:
            return True  # the next word did not fit: the wrapper broke the line
    return may_wrap and line.text[:1].islower() and not _SENTENCE_END.search(previous.text)


def _runs_on(first: _Line, line: _Line) -> bool:
    """A cut first line runs on into a flush-left second line unless it closes a sentence."""
    return (not line.is_table and not first.is_table and not _LIST_ITEM.match(line.text)
            and not _SENTENCE_END.search(first.text))


def _join(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and line[:1].isalpha():
            text += line
        else:
            text += " " + line
    return text
