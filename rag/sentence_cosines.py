"""A sentence's similarity to a question, read alone and in its passage.

A sentence embedded alone misses what its passage says around it ("dit pakket", "daarbij", the
programme a paragraph is about); the vector pooled from the passage's own token states
(:meth:`index.embedding.Embedder.encode_passages_in_context`) keeps it. A sentence is compared
with a question as the normalised mix ``(1 - w) * alone + w * in_context`` of the two stored
vectors, computed without storing it: the mix of the two cosines, divided by the mix's length.
"""

from __future__ import annotations

import numpy as np

from index.store import IndexStore


class SentenceCosines:
    """Cosines of a question with the index's sentences (all, or some rows of ``store.sentence_matrix``)."""

    def __init__(self, store: IndexStore, context_weight: float):
        """``context_weight``: w above; 0 compares the sentence alone."""
        self.alone = store.sentence_matrix
        self.context = store.context_matrix
        self.weight = w = float(context_weight)
        # 1 / |(1 - w) a + w c| per sentence, for unit vectors a and c: read once here, not per question.
        dots = np.einsum("ij,ij->i", self.alone, self.context) if w else np.ones(len(self.alone), np.float32)
        self.scale = (1.0 / np.sqrt((1 - w) ** 2 + w**2 + 2 * w * (1 - w) * dots)).astype(np.float32)

    def __call__(self, query: np.ndarray, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Cosines of ``query`` with the sentences at ``rows`` (every sentence when None)."""
        rows = slice(None) if rows is None else rows
        alone = self.alone[rows] @ query
        if not self.weight:
            return alone
        return ((1 - self.weight) * alone + self.weight * (self.context[rows] @ query)) * self.scale[rows]
