"""BM25 over the passages with Dutch analysis (bm25s + Snowball Dutch stemmer)."""

from __future__ import annotations

import re

import bm25s
import numpy as np

from index.models import Passage
from rag.analysis import analyze

# Footnote URLs are full of English words ("prospects-for-refugees-and-migration-cooperation")
# that match English questions and nothing else; they carry no searchable content.
_URL = re.compile(r"https?://\S+|www\.\S+")


class LexicalIndex:
    """In-memory BM25 index; rebuilt at load time (milliseconds for thousands of passages)."""

    def __init__(self, passages: list[Passage]):
        self._bm25 = bm25s.BM25()
        corpus = [analyze(_URL.sub(" ", p.embedding_text())) or ["∅"] for p in passages]  # bm25s needs non-empty docs
        self._bm25.index(corpus, show_progress=False)
        self.size = len(passages)

    def scores(self, question: str) -> np.ndarray:
        """BM25 score of every passage for ``question`` (zeros when no term matches)."""
        terms = analyze(question)
        if not terms or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
