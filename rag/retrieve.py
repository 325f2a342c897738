"""Hybrid retrieval: dense (FAISS, e5 ``query:`` prompt) + BM25, fused, diversified.

Each retriever's candidate scores are min-max normalised over its own candidates and summed with
its weight: scores keep how far apart candidates are, which reciprocal ranks throw away, and the
normalisation puts cosines and BM25 on one scale. Dense ranks passages three ways: by the passage
vector, by its best sentence (read alone and in its passage, :mod:`rag.sentence_cosines`) and by its
best window of two consecutive sentences (a paraphrased question often matches one sentence, or a
sentence with its neighbour, far better than the whole passage). For an English question, BM25 also searches the
letter words its words translate to (:mod:`rag.translation`), and its vector is moved towards the
Dutch side of the model's space (:mod:`rag.crosslingual`). A question that names a letter
("volgens de brief van juli 2020", see :mod:`rag.references`) adds a ranking of that letter's
passages, and its reference words are kept out of BM25. After fusion a per-letter cap keeps room
for other letters, so a question spanning two letters gets both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.config import MODES, RetrievalConfig
from index.embedding import Embedder
from index.store import IndexStore
from rag import references
from rag.crosslingual import LanguageShift
from rag.language import detect_language
from rag.lexical import LexicalIndex
from rag.sentence_cosines import SentenceCosines
from rag.translation import WordTranslator
from rag.types import Source



@dataclass
class Filters:
    """Restrict retrieval to some letters and/or a date range (ISO dates, inclusive)."""

    letters: list[str] | None = None
    date_from: str | None = None
    date_to: str | None = None

    def allows(self, letter_id: str, aliases: list[str], date: str | None) -> bool:
        if self.letters and not ({letter_id, *aliases} & set(self.letters)):
            return False
        if (self.date_from or self.date_to) and not date:
            return False
        if self.date_from and date < self.date_from:
            return False
        if self.date_to and date > self.date_to:
            return False
        return True


@dataclass
class Retrieval:
    """Ranked sources plus the question vector dense retrieval searched with (None in bm25 mode)."""

    sources: list[Source]
    query_vector: np.ndarray | None


class _BestOfBlock:
    """Ranks passages by their best-matching row of a matrix whose rows come in per-passage blocks
    (passage i owns rows bounds[i]:bounds[i + 1]: its sentences, or its windows). ``cosines(query,
    rows)`` reads the store's memory-mapped arrays, not a copy; a passage's best row is a maximum
    over its block."""

    def __init__(self, cosines, bounds: np.ndarray):
        self.cosines = cosines if bounds[-1] else None
        self.bounds = bounds
        filled = bounds[1:] > bounds[:-1]
        self.starts = bounds[:-1][filled]  # only passages that have rows
        self.rows = np.flatnonzero(filled)
        self.passages = len(bounds) - 1

    def scores(self, query_vector: np.ndarray, pool: np.ndarray | None = None) -> np.ndarray:
        """Per passage its best row's cosine with the question; -1 for a passage without rows.

        Args:
            query_vector: the question's embedding.
            pool: if given, only these passages are scored (the others get -1): a large index
                then reads the rows of its candidates instead of the whole matrix.
        """
        best = np.full(self.passages, -1.0, dtype=np.float32)
        if self.cosines is None:
            return best
        query = np.asarray(query_vector, np.float32)
        if pool is None:
            best[self.rows] = np.maximum.reduceat(self.cosines(query), self.starts)
            return best
        chosen = self.rows[np.isin(self.rows, pool)]
        if len(chosen):
            starts = self.bounds[chosen]
            lengths = self.bounds[chosen + 1] - starts
            offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
            rows = np.arange(lengths.sum()) + offsets  # every row of every chosen passage, in order
            best[chosen] = np.maximum.reduceat(self.cosines(query, rows), np.cumsum(lengths) - lengths)
        return best


class Retriever:
    """Ranks the passages of one loaded index for a question."""

    def __init__(self, store: IndexStore, embedder: Embedder, cfg: RetrievalConfig):
        self.store = store
        self.embedder = embedder
        self.cfg = cfg
        self.lexical = LexicalIndex(store.passages)
        # Sentences alone and in their passage's context; shared with the composer.
        self.sentence_cosines = SentenceCosines(store, cfg.context_weight)
        self._sentences = _BestOfBlock(self.sentence_cosines, store.sentence_bounds)
        windows = store.window_matrix
        self._windows = _BestOfBlock(lambda query, rows=None: (windows if rows is None else windows[rows]) @ query, store.window_bounds)
        # What each letter says about itself (date, title, "deze rapportage ..."), to resolve
        # questions that name a letter ("volgens de brief van juli 2020").
        self.profiles = [references.profile(letter) for letter in store.letters.values()]
        self._letter_of = np.array([p.letter for p in store.passages], dtype=object)
        self.translator = WordTranslator(
            store.words, store.word_vectors, embedder, cfg.translation_threshold, cfg.translations_per_word
        )
        self.shift = LanguageShift.for_model(embedder, cfg.language_shift)

    def _allowed(self, filters: Filters | None) -> np.ndarray:
        mask = np.ones(len(self.store.passages), dtype=bool)
        if filters is None:
            return mask
        for i, p in enumerate(self.store.passages):
            letter = self.store.letters[p.letter]
            mask[i] = filters.allows(letter.id, letter.aliases, letter.date)
        return mask

    def retrieve(self, question: str, k: int | None = None, mode: str | None = None, filters: Filters | None = None) -> Retrieval:
        k = k or self.cfg.k
        mode = mode or self.cfg.mode
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}; choose one of {', '.join(MODES)}")
        allowed = self._allowed(filters)
        n = len(self.store.passages)
        rankings: list[tuple[float, list[tuple[int, float]]]] = []
        dense = lexical = None
        query_vector = None
        # A letter the question names ("volgens de brief van juli 2020") is a pointer, not search
        # terms: BM25 and dense get the question without the reference, and the named letter's
        # passages get a ranking of their own below. Only a question about the letter itself (its
        # kenmerk, its signatories) keeps the reference for dense: the date finds the letterhead.
        named, searched = references.search_text(question, self.profiles) if self.cfg.reference_weight else (set(), question)
        english = detect_language(question) != "nl"
        if mode in ("dense", "hybrid"):
            about_letter = not named or references.about_the_letter(question)
            query_vector = self.embedder.encode_query(question if about_letter else searched)
            if english:
                query_vector = self.shift.apply(query_vector)
            depth = n if filters or named else self.cfg.candidates * 4  # the named letter ranks all its passages
            if depth >= n:  # exact from the stored vectors, whatever the index type: filters stay exact
                dense = self.store.scores(query_vector).astype(np.float32)
            else:
                dense = np.full(n, -1.0, dtype=np.float32)
                for row, score in self.store.search(query_vector, depth):
                    dense[row] = score
            rankings.append((1.0, self._top(dense, allowed, dense > -1.0)))
        if mode in ("bm25", "hybrid"):
            if english:
                searched = " ".join([searched, *self.translator.translate(searched)])
            lexical = self.lexical.scores(searched)
            lexical_top = self._top(lexical, allowed, lexical > 0)
            rankings.append((self.cfg.lexical_weight, lexical_top))
        if dense is not None:
            # With an approximate passage search (a large index) only its candidates and BM25's
            # are ranked by their sentences and windows: reading every sentence vector of a large
            # archive costs more than the search itself.
            pool = None
            if not (dense > -1.0).all():
                pool = np.flatnonzero(dense > -1.0)
                if lexical is not None:
                    pool = np.union1d(pool, [row for row, _ in lexical_top])
            for weight, blocks in ((self.cfg.sentence_weight, self._sentences), (self.cfg.window_weight, self._windows)):
                if weight and blocks.cosines is not None:
                    best = blocks.scores(query_vector, pool)
                    rankings.append((weight, self._top(best, allowed, best > -1.0)))
        if named:
            # The named letters' passages, in dense order (BM25 order in bm25 mode): a prior for
            # the letter, not a filter, since the answer may also stand in a letter not named.
            in_named = np.isin(self._letter_of, list(named))
            scores, present = (dense, dense > -1.0) if dense is not None else (lexical, lexical > 0)
            rankings.append((self.cfg.reference_weight, self._top(scores, allowed & in_named, present)))
        fused = self._fuse(rankings)
        chosen = self._diversify(fused, k)
        sources = []
        for rank, (row, score) in enumerate(chosen, start=1):
            p = self.store.passages[row]
            sources.append(
                Source(
                    rank=rank,
                    score=score,
                    passage=p,
                    letter=self.store.letters[p.letter],
                    dense=float(dense[row]) if dense is not None and dense[row] > -1 else None,
                    lexical=float(lexical[row]) if lexical is not None else None,
                )
            )
        return Retrieval(sources, query_vector)

    def _top(self, scores: np.ndarray, allowed: np.ndarray, present: np.ndarray) -> list[tuple[int, float]]:
        """The best ``candidates`` rows by ``scores`` among those allowed and present, with their scores."""
        rows = np.flatnonzero(allowed & present)
        negated = -scores[rows]
        top = self.cfg.candidates
        if len(rows) > top:  # sort only the rows that can make the cut (ties at it included): a stable full sort's order
            kept = negated <= np.partition(negated, top - 1)[top - 1]
            rows, negated = rows[kept], negated[kept]
        order = rows[np.argsort(negated, kind="stable")][:top]
        return list(zip(order.tolist(), scores[order].astype(float).tolist()))

    @staticmethod
    def _fuse(rankings: list[tuple[float, list[tuple[int, float]]]]) -> list[tuple[int, float]]:
        """Weighted sum of each ranking's min-max normalised scores (a row a ranking lacks adds 0)."""
        fused: dict[int, float] = {}
        for weight, ranking in rankings:
            if not ranking:
                continue
            high, low = ranking[0][1], ranking[-1][1]
            for row, score in ranking:
                share = (score - low) / (high - low) if high > low else 1.0
                fused[row] = fused.get(row, 0.0) + weight * share
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))

    def _diversify(self, ranked: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
        """Cap passages per letter, keep the fused order otherwise."""
        chosen: list[tuple[int, float]] = []
        per_letter: dict[str, int] = {}
        overflow: list[tuple[int, float]] = []
        for row, score in ranked:
            letter = self.store.passages[row].letter
            if per_letter.get(letter, 0) >= self.cfg.per_letter_cap:
                overflow.append((row, score))
                continue
            per_letter[letter] = per_letter.get(letter, 0) + 1
            chosen.append((row, score))
            if len(chosen) == k:
                return chosen
        # Too few other letters to fill k: capped passages come back rather than an empty slot.
        return (chosen + overflow)[:k]
