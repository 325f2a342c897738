"""Dutch text analysis for lexical matching (BM25, evidence support checks).

Words are lower-cased, Dutch stopwords dropped and the rest stemmed with the Snowball Dutch
stemmer (PyStemmer). Numbers and acronyms are kept whole — ``2.134``, ``3,5``, ``FRIT``,
``REAN`` — because splitting or stemming them loses exactly what users search for, and an
amount is also indexed together with its magnitude (``6 miljard`` → ``6_miljard``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

# One token: a number with internal separators (2.134 / 3,5 / 2016-2018 stays two numbers),
# or a word (letters, digits and inner hyphens/apostrophes: EU-Turkije, regio's).
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_](?:[\w'’-]*\w)?", re.UNICODE)
ACRONYM = re.compile(r"^[A-Z][A-Z0-9]+$")  # FRIT, REAN, UNHCR: names, kept whole
_MAGNITUDES = {
    "mln": "miljoen",
    "miljoen": "miljoen",
    "mld": "miljard",
    "miljard": "miljard",
    "procent": "procent",
    "%": "procent",
    "duizend": "duizend",
}
_STOPWORDS = frozenset(STOPWORDS_DUTCH) | frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("dutch")


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _drop_combining(match: re.Match) -> str:
    return "".join(ch for ch in match.group() if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Unicode-normalise and strip accents (ë → e) so spelling variants in OCR text still match."""
    text = unicodedata.normalize("NFKD", text)
    # Only non-ASCII characters can be combining marks: the letters are mostly ASCII, and looking
    # at every character in Python made this most of analyze()'s time (5-6x slower).
    return text if text.isascii() else _NON_ASCII.sub(_drop_combining, text)


def analyze(text: str) -> list[str]:
    """Index terms of ``text``, in order."""
    return list(_cached_terms(text) if len(text) <= _CACHED_CHARS else _terms(text))


def _terms(text: str) -> tuple[str, ...]:
    stem = _stemmer().stemWord
    terms: list[str] = []
    raw = _TOKEN.findall(fold(text).replace("%", " procent"))
    for i, tok in enumerate(raw):
        if tok[0].isdigit():
            terms.append(tok)
            following = raw[i + 1].lower().rstrip(".") if i + 1 < len(raw) else ""
            if following in _MAGNITUDES:
                terms.append(f"{tok}_{_MAGNITUDES[following]}")
        elif ACRONYM.match(tok):
            terms.append(tok.lower())  # not stemmed: FRIT must not match "frits"
        else:
            low = tok.lower()
            if low in _STOPWORDS or len(low) < 2:
                continue
            for part in low.split("-") if "-" in low else [low]:
                if part and part not in _STOPWORDS:
                    terms.append(stem(part))
            if "-" in low:
                terms.append(stem(low.replace("-", "")))
    return tuple(terms)


# Answering one question analyses the same sentences many times over (once per clause scored, and
# again for every pair of candidates compared as near-duplicates); the terms of a text never change.
# Only short texts (questions, sentences) are kept: whole passages are analysed once, at load.
_CACHED_CHARS = 1000
_cached_terms = lru_cache(maxsize=4096)(_terms)


def numbers(text: str) -> set[str]:
    """The numbers in ``text`` as written (2.134, 3,5, 2023): an answer must not change them."""
    return {t for t in _TOKEN.findall(text) if t[0].isdigit()}


# Runs of capitalised words, connectors allowed inside: "Return and Emigration Assistance from the Netherlands".
_NAME_RUN = re.compile(r"\b[A-Z][\w'’]*(?:(?:\s+(?:and|for|of|from|the|en|voor|van|de|het))*\s+[A-Z][\w'’]*)+")


def initials(text: str) -> set[str]:
    """Acronyms a text spells out: "Buitenlandse Zaken" → "BZ", "Facility for Refugees In Turkey" → "FRIT"."""
    return set(names(text))


def names(text: str) -> dict[str, str]:
    """Initials → words of every name a run of capitalised words may hold. A run may open with a capitalised
    sentence opener ("De Facility …") or list names ("het Verenigd Koninkrijk en de Europese Unie"), so every
    stretch of two to six of its capitalised words counts."""
    found = {}
    for run in _NAME_RUN.finditer(text):
        words = run.group(0).split()
        capitals = [i for i, w in enumerate(words) if w[0].isupper()]
        for a in range(len(capitals)):
            for b in range(a + 1, min(a + 6, len(capitals))):
                name = words[capitals[a] : capitals[b] + 1]
                found["".join(w[0] for w in name if w[0].isupper())] = " ".join(name)
    return found
