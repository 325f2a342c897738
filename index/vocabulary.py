"""The corpus's own words, embedded so that question words in another language can be translated.

An English question shares almost no words with Dutch letters, so BM25 cannot help it. Every
distinct word of the passages is embedded at index time; at question time
:mod:`rag.translation` maps each English word to its nearest words of the letters
("children" → "kinderen", "tariffs" → "tarieven"): a bilingual lexicon induced by the
multilingual model itself, with no dictionary and no network.
"""

from __future__ import annotations

import re

from index.models import Passage

# Words of four letters or more: shorter ones are mostly function words and abbreviations,
# which translate poorly word by word.
WORD = re.compile(r"[^\W\d_][^\W\d_\-]*(?:-[^\W\d_]+)*")
MIN_LENGTH = 4


def corpus_words(passages: list[Passage]) -> list[str]:
    """The distinct lower-cased words of the passages (headings included), sorted."""
    words = {m.group().lower() for p in passages for m in WORD.finditer(p.embedding_text())}
    return sorted(w for w in words if len(w) >= MIN_LENGTH)
