"""Recognise two files that hold one letter, and keep one canonical letter for them.

A merge hides a file's text from search, so two files merge only when their *bodies* (the
paragraphs: page furniture and letterhead are already cleaned away, headings are left out
here) say the same thing:

- identical texts (the same file twice, under two names), whatever their length;
- bodies of at least :data:`LONG_BODY` word 5-grams ("shingles") that share
  :data:`SAME_BODY` of them in both directions;
- or, for an extraction that lost pages, a long body of which :data:`SAME_BODY` lies in the
  other one, provided the two do not declare different identities (date, kenmerk, Kamerstuk).

Shingles found in :data:`BOILERPLATE_DOCS` or more distinct bodies (a standard opening, a
letterhead line, a law's chapter heading repeated in every article) are ignored, so files that
share boilerplate and differ in a short body never merge. A shorter body merges only when the whole
text is identical.

The canonical letter is the more complete extraction (more distinct shingles), then an official
Kamerstuk publication, then the smaller id. The other extraction fills in what the canonical one
lacks (title when it only has a fallback title, date, kenmerk, Kamerstuk number, addressee, signatories, the
text of footnotes whose marker it has but whose text it lost); its id goes into ``aliases``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import replace
from itertools import combinations

from index.metadata import fallback_title
from index.models import Letter

# What makes two files one letter. Fixed by measurement, not settings: changing them changes which
# letters an index holds, so they stay here (index.config.Config.merge_duplicates turns merging off).

#: Words per shingle.
SHINGLE_WORDS = 5
#: Share of shingles two bodies must have in common (of the larger, or of the smaller for a lost-pages
#: extraction). Versions of one regulation (2003 and 2004 editions, Aruba's and Sint Maarten's) share up
#: to 0.94, two extractions of one letter 0.98: the value sits between them.
SAME_BODY = 0.96
#: Fewest distinct shingles (about words) a body needs to merge with a body that is not identical.
LONG_BODY = 200
#: A shingle in this many distinct bodies is boilerplate, not evidence that two files are one letter.
BOILERPLATE_DOCS = 5
_DECLARED = ("date", "kenmerk", "kamerstuk")


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[tuple[str, ...]]:
    """Word ``size``-grams of ``text``, lower-cased, accents and punctuation dropped."""
    words = _plain_words(text)
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def _plain_words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", plain)


def body(letter: Letter) -> str:
    """The letter's paragraphs without its headings (the whole text if it has no structure)."""
    paragraphs = [letter.text[b.start : b.end] for b in letter.blocks if b.kind == "paragraph"]
    return "\n".join(paragraphs) if letter.blocks else letter.text


def declared_conflict(a: Letter, b: Letter) -> bool:
    """Whether the two letters state different dates, kenmerken or Kamerstuk numbers."""
    return any(getattr(a, f) and getattr(b, f) and getattr(a, f) != getattr(b, f) for f in _DECLARED)


def same_letter_pairs(letters: list[Letter]) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of ``letters`` that hold the same letter (see module docstring).

    Candidate pairs come from an inverted index of non-boilerplate shingles, so the cost grows with
    the shared text, not with the square of the number of files.
    """
    # Identical means the whole text: two repealed articles share the body "Vervallen." but not their headings.
    digests = [hashlib.sha256(" ".join(_plain_words(letter.text)).encode()).digest() for letter in letters]
    pairs: set[tuple[int, int]] = set()
    first_with: dict[bytes, int] = {}
    for i, digest in enumerate(digests):
        if digest in first_with:
            pairs.add((first_with[digest], i))
        else:
            first_with[digest] = i
    distinct = sorted(first_with.values())  # one representative per identical body
    grams = {i: {hash(g) for g in shingles(body(letters[i]))} for i in distinct}
    spread = Counter(g for i in distinct for g in grams[i])
    for i in distinct:
        grams[i] = {g for g in grams[i] if spread[g] < BOILERPLATE_DOCS}
    owners: dict[int, list[int]] = defaultdict(list)
    for i in distinct:
        if len(grams[i]) >= LONG_BODY:
            for g in grams[i]:
                owners[g].append(i)
    shared: Counter = Counter()
    for members in owners.values():
        shared.update(combinations(members, 2))  # members are in ascending order
    for (i, j), common in shared.items():
        small, large = sorted((len(grams[i]), len(grams[j])))
        both_ways = common >= SAME_BODY * large
        lost_pages = common >= SAME_BODY * small and not declared_conflict(letters[i], letters[j])
        if both_ways or lost_pages:
            pairs.add((i, j))
    return sorted(pairs)


def merge_duplicates(letters: list[Letter]) -> list[Letter]:
    """One letter per group of files holding the same letter, sorted by id (input order is irrelevant)."""
    ordered = sorted(letters, key=lambda letter: letter.id)
    group = list(range(len(ordered)))  # union-find parents

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i, j in same_letter_pairs(ordered):
        group[max(root(i), root(j))] = min(root(i), root(j))
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(ordered)):
        members[root(i)].append(i)

    merged = []
    for indices in members.values():
        if len(indices) == 1:
            merged.append(ordered[indices[0]])
            continue
        size = {i: len(shingles(ordered[i].text)) for i in indices}
        ranked = sorted(indices, key=lambda i: (-size[i], ordered[i].kamerstuk is None, ordered[i].id))
        canonical = ordered[ranked[0]]
        for i in ranked[1:]:
            canonical = _absorb(canonical, ordered[i])
        merged.append(canonical)
    return sorted(merged, key=lambda letter: letter.id)


def _absorb(canonical: Letter, other: Letter) -> Letter:
    """``canonical`` with the gaps filled from ``other``, and ``other`` recorded as an alias."""
    fills = {
        name: getattr(other, name)
        for name in ("date", "period", "kenmerk", "kamerstuk", "addressee", "signatories")
        if not getattr(canonical, name) and getattr(other, name)
    }
    own_title = other.title and other.title != fallback_title(other.text, other.blocks)
    if own_title and canonical.title in (None, fallback_title(canonical.text, canonical.blocks)):
        fills["title"] = other.title  # an onderwerp beats a title made up from the first sentence
    texts = {note.number: note.text for note in other.footnotes if note.text}
    footnotes = [replace(note, text=note.text or texts.get(note.number, "")) for note in canonical.footnotes]
    aliases = sorted(set(canonical.aliases) | {other.id} | set(other.aliases))
    return replace(canonical, footnotes=footnotes, aliases=aliases, **fills)
