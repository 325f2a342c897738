"""Recognise two extractions of one letter and keep one canonical letter.

Two letters are the same when most word 5-grams ("shingles") of the shorter one also occur in
the longer one (containment, not Jaccard: an extraction that lost pages is still contained in
the complete one; Jaccard is only 0.53 for the two extractions of the July 2020 letter). On the
bundled corpus those two share 0.98 of the shorter one's shingles while every other pair shares
under 0.03, so the threshold of 0.5 sits far from both.

The canonical letter is the more complete extraction (more distinct shingles: fewer lost pages
and less noise cut away), then an official Kamerstuk publication, then the smaller id. The other
extraction fills in what the canonical one lacks: title when it only has a fallback title,
date, kenmerk, Kamerstuk number, addressee, and the text of footnotes whose marker it has but
whose text it lost. Its id goes into ``aliases``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from index.metadata import fallback_title
from index.models import Letter

SHINGLE_WORDS = 5
SAME_LETTER = 0.5  # containment above which two letters are one


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[tuple[str, ...]]:
    """Word ``size``-grams of ``text``, lower-cased, accents and punctuation dropped."""
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", plain)
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def containment(a: set, b: set) -> float:
    """Share of the smaller set that lies in the other one."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def merge_duplicates(letters: list[Letter]) -> list[Letter]:
    """One letter per group of extractions of the same letter, sorted by id (input order is irrelevant)."""
    ordered = sorted(letters, key=lambda letter: letter.id)
    grams = [shingles(letter.text) for letter in ordered]
    group = list(range(len(ordered)))  # union-find parents

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i in range(len(ordered)):
        for j in range(i + 1, len(ordered)):
            if containment(grams[i], grams[j]) >= SAME_LETTER:
                group[root(j)] = root(i)
    members: dict[int, list[int]] = {}
    for i in range(len(ordered)):
        members.setdefault(root(i), []).append(i)

    merged = []
    for indices in members.values():
        ranked = sorted(indices, key=lambda i: (-len(grams[i]), ordered[i].kamerstuk is None, ordered[i].id))
        canonical = ordered[ranked[0]]
        for i in ranked[1:]:
            canonical = _absorb(canonical, ordered[i])
        merged.append(canonical)
    return sorted(merged, key=lambda letter: letter.id)


def _absorb(canonical: Letter, other: Letter) -> Letter:
    """``canonical`` with the gaps filled from ``other``, and ``other`` recorded as an alias."""
    fills = {
        name: getattr(other, name)
        for name in ("date", "kenmerk", "kamerstuk", "addressee")
        if getattr(canonical, name) is None and getattr(other, name) is not None
    }
    own_title = other.title and other.title != fallback_title(other.text, other.blocks)
    if own_title and canonical.title in (None, fallback_title(canonical.text, canonical.blocks)):
        fills["title"] = other.title  # an onderwerp beats a title made up from the first sentence
    texts = {note.number: note.text for note in other.footnotes if note.text}
    footnotes = [replace(note, text=note.text or texts.get(note.number, "")) for note in canonical.footnotes]
    aliases = sorted(set(canonical.aliases) | {other.id} | set(other.aliases))
    return replace(canonical, footnotes=footnotes, aliases=aliases, **fills)
