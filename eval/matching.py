"""Tolerant text matching between evidence spans, letter files and passages.

Letters are PDF extractions: words are split at line ends ("terug-\\ndringen"), quotes and
dashes come in several Unicode shapes, and whitespace is irregular. Evidence spans in the
evaluation set are written on one line, so both sides are normalized before comparing.
"""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({c: "'" for c in "‘’‚‛′`"} | {c: '"' for c in "“”„‟«»″"})
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})

# A hyphen ending a line right after a non-space character, the break (with any blank lines
# after it), and a look at the next word: its first character and the word characters after.
_LINE_END_HYPHEN = re.compile(r"(\S)-[ \t]*\n\s*(?=(\S)(\w*))")
# A line-end hyphen before these words is a suspended compound ("migratie- en strafrechtketen").
_CONJUNCTIONS = {"en", "of"}


def _join_hyphen(match: re.Match) -> str:
    before, first, rest = match.groups()
    if first + rest in _CONJUNCTIONS:
        return before + "- "
    if before.islower() and first.islower():
        return before  # a word split over two lines: "terug-\ndringen" -> "terugdringen"
    return before + "-"  # a compound with a capital or digit: "EU-\nTurkije", "COVID-\n19"


def normalize(text: str) -> str:
    """Canonical form for matching: NFKC, plain quotes and dashes, line-end hyphenation
    joined, whitespace collapsed to single spaces, stripped. Case is kept."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = text.translate(_QUOTES).translate(_DASHES)
    text = _LINE_END_HYPHEN.sub(_join_hyphen, text)
    return " ".join(text.split())


def contains(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` once both are normalized.

    Case-insensitive: key facts are also checked against generated answers, where a term
    may open a sentence ("Terugkeerhubs") that the letter writes in lower case; for
    evidence spans of ten words or more ignoring case adds no false matches.
    """
    return normalize(needle).casefold() in normalize(haystack).casefold()
