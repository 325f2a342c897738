"""The approximate (HNSW) dense index on a synthetic set: recall against flat, exact filters, one copy of the vectors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index import store
from index.config import RetrievalConfig
from index.models import Letter, Passage
from rag.retrieve import Filters, Retriever

N, DIM, LETTERS = 3000, 32, 30


def _vectors(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, DIM))
    x = centres[rng.integers(0, 40, n)] + 0.6 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _write(index_dir, ann_min_passages):
    vectors = _vectors(N, 0)
    letters = [Letter(id=f"L{j:02d}", source=f"/x/L{j:02d}.txt", text="x", date=f"20{10 + j % 15}-01-01") for j in range(LETTERS)]
    passages = [Passage(id=f"L{i % LETTERS:02d}#{i}", letter=f"L{i % LETTERS:02d}", text=f"tekst woord{i % 97}", start=0, end=1)
                for i in range(N)]
    sentences = [[(0, 5), (6, 11)] for _ in range(N)]
    sentence_vectors = np.repeat(vectors, 2, axis=0)
    words = [f"woord{i}" for i in range(97)]
    manifest = store.Manifest(model_id="fake", model_checksum="0", dim=DIM, chunker={})
    store.write_index(index_dir, manifest, passages, letters, vectors, sentences, sentence_vectors, sentence_vectors, vectors, words,
                      _vectors(len(words), 1), ann_min_passages=ann_min_passages)
    return vectors


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    root = tmp_path_factory.mktemp("ann")
    vectors = _write(root / "hnsw", ann_min_passages=1000)
    _write(root / "flat", ann_min_passages=None)
    return store.load_index(root / "hnsw"), store.load_index(root / "flat"), vectors


def test_manifest_records_the_index_type(indexes):
    hnsw, flat, _ = indexes
    assert hnsw.manifest.index_type == "hnsw" and hnsw.approximate and hnsw.manifest.ann["M"] == store.HNSW_M
    assert flat.manifest.index_type == "flat" and not flat.approximate


def test_an_old_manifest_without_index_type_loads_as_flat(tmp_path):
    _write(tmp_path / "old", ann_min_passages=None)
    path = store._active_dir(tmp_path / "old") / "manifest.json"
    data = json.loads(path.read_text())
    del data["index_type"], data["ann"]
    path.write_text(json.dumps(data))
    assert store.load_index(tmp_path / "old").manifest.index_type == "flat"


def test_hnsw_recall_at_10_against_flat(indexes):
    hnsw, flat, vectors = indexes
    rng = np.random.default_rng(2)
    queries = vectors[rng.choice(N, 200, replace=False)] + 0.05 * rng.normal(size=(200, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    recall = np.mean([
        len({r for r, _ in hnsw.search(q, 10)} & {r for r, _ in flat.search(q, 10)}) / 10 for q in queries
    ])
    assert recall >= 0.99
    # scores are exact inner products either way
    row, score = hnsw.search(queries[0], 1)[0]
    assert score == pytest.approx(float(vectors[row] @ queries[0]), abs=1e-5)


def test_a_search_over_every_passage_is_exact(indexes):
    hnsw, flat, vectors = indexes
    q = vectors[17]
    assert [r for r, _ in hnsw.search(q, N)] == [r for r, _ in flat.search(q, N)]
    np.testing.assert_allclose(hnsw.scores(q), vectors @ q, atol=1e-5)
    np.testing.assert_allclose(hnsw.scores(q, np.array([3, 5])), vectors[[3, 5]] @ q, atol=1e-5)


def test_vectors_are_held_once(indexes):
    hnsw, flat, vectors = indexes
    for idx in (hnsw, flat):
        np.testing.assert_allclose(idx.vectors(), vectors)
        assert not idx.vectors().flags.owndata and not idx.vectors().flags.writeable  # a view of FAISS's storage
        assert isinstance(idx.sentence_matrix, np.memmap) and isinstance(idx.word_vectors, np.memmap)
        assert np.shares_memory(idx.sentence_vectors[5], idx.sentence_matrix)
        assert len(idx.sentence_vectors) == N and idx.sentence_vectors[-1].shape == (2, DIM)


class _FakeEmbedder:
    """Queries are given as vectors: the question text is an index into a table."""

    dim = DIM

    def __init__(self, table):
        self.table = table

    def encode_query(self, question):
        return self.table[int(question.split()[-1])]

    def encode_words(self, words, on_batch=None):
        return np.zeros((len(words), DIM), np.float32)


def test_filtered_retrieval_is_exact_on_the_approximate_index(indexes):
    hnsw, flat, vectors = indexes
    embedder = _FakeEmbedder(vectors)
    cfg = RetrievalConfig(mode="dense", language_shift=0)  # the table's vectors belong to no language
    approximate, exact = Retriever(hnsw, embedder, cfg), Retriever(flat, embedder, cfg)
    filters = Filters(letters=["L03", "L07"], date_from="2010-01-01")
    for i in (11, 250, 2999):
        question = f"vraag {i}"
        got = [s.passage.id for s in approximate.retrieve(question, filters=filters).sources]
        assert got == [s.passage.id for s in exact.retrieve(question, filters=filters).sources]
        assert all(s.split("#")[0] in ("L03", "L07") for s in got)
        # unfiltered, the approximate top 10 is (nearly) the exact one
        a = {s.passage.id for s in approximate.retrieve(question).sources}
        assert len(a & {s.passage.id for s in exact.retrieve(question).sources}) >= 9


def test_the_candidates_are_those_of_a_full_stable_sort_ties_included():
    # _top sorts only the rows that can make the cut; ties at the cut must keep the row order.
    top = Retriever._top.__get__(type("R", (), {"cfg": RetrievalConfig(candidates=5)})())
    rng = np.random.default_rng(1)
    for _ in range(200):
        scores = rng.integers(0, 6, size=40).astype(np.float32)  # many ties
        allowed, present = rng.random(40) < 0.9, scores > 0
        rows = np.flatnonzero(allowed & present)
        expected = rows[np.argsort(-scores[rows], kind="stable")][:5]
        assert [row for row, _ in top(scores, allowed, present)] == expected.tolist()
