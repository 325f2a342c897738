"""Translate the words of an English question into words of the letters, for BM25.

BM25 analyses Dutch, so an English question matches only names and numbers in the letters. Each
content word of the question is embedded (one batch) and compared with every distinct word of
the letters, embedded at index time (:mod:`index.vocabulary`); its nearest letter words above a
similarity threshold join the lexical query: "children" → "kinderen", "tariffs" → "tarieven",
"pandemic" → "pandemie". This is a bilingual lexicon induced by the multilingual model itself.
It is noisy word by word ("countries" also finds "states"), which is why the threshold and the
number of words per question word were chosen by measurement (``rag eval``; see RetrievalConfig).
"""

from __future__ import annotations

import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS

from index.embedding import Embedder
from index.vocabulary import WORD
from rag.analysis import ACRONYM, analyze
from rag.language import ENGLISH_WORDS

_STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | ENGLISH_WORDS


class WordTranslator:
    """Nearest letter words for the content words of a question."""

    def __init__(self, words: list[str], vectors: np.ndarray, embedder: Embedder, threshold: float, per_word: int):
        # A question word that is also a letter word ("partnership", "expertise") has its vector already.
        self._known = {w: vectors[i] for i, w in enumerate(words)}
        # Dutch stopwords ("over", "voor") would take a slot and then be dropped by BM25's analysis.
        keep = [i for i, w in enumerate(words) if analyze(w)]
        self.words = [words[i] for i in keep]
        # Letter words by rows, compared in numpy: ``Assistant.ask`` runs it on one BLAS thread, where
        # (words x dim) times the question's words took 11 ms at 31,673 words against 17-33 ms for
        # torch's product on two threads, which wait on each other and on the model's.
        self._matrix = np.ascontiguousarray(vectors[keep], dtype=np.float32).reshape(len(keep), embedder.dim)
        self.embedder = embedder
        self.threshold = threshold
        self.per_word = per_word

    def content_words(self, question: str) -> list[str]:
        """The question's words worth translating, lower-cased, in order, without repeats."""
        seen: dict[str, None] = {}
        for match in WORD.finditer(question):
            word = match.group()
            # An acronym is a name, the same in every language: BM25 already matches it.
            if not ACRONYM.match(word) and word.lower() not in _STOPWORDS and len(word) > 2:
                seen.setdefault(word.lower())
        return list(seen)

    def translate(self, question: str) -> list[str]:
        """Letter words for the question's words: up to ``per_word`` each, most similar first."""
        words = self.content_words(question)
        if not words or not self.words or self.per_word <= 0:
            return []
        similarity = self._matrix @ self._vectors(words).T  # one column per question word
        n = min(self.per_word + 1, len(self.words))
        found: list[str] = []
        for word, column in zip(words, similarity.T):
            rows = np.argpartition(-column, n - 1)[:n]
            rows = rows[np.argsort(-column[rows], kind="stable")]
            nearest = [(score, self.words[j]) for score, j in zip(column[rows].tolist(), rows.tolist()) if self.words[j] != word]
            found += [w for score, w in nearest[: self.per_word] if score >= self.threshold]
        return found

    def _vectors(self, words: list[str]) -> np.ndarray:
        unknown = [w for w in words if w not in self._known]
        fresh = dict(zip(unknown, self.embedder.encode_words(unknown))) if unknown else {}
        return np.stack([self._known[w] if w in self._known else fresh[w] for w in words])
