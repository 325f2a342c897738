"""The on-disk index: FAISS vectors, passages, cleaned letters and a manifest, in one folder.

Layout of ``index_dir``::

    CURRENT              name of the active version folder (replaced atomically)
    v-<stamp>/manifest.json
    v-<stamp>/passages.jsonl   one Passage per line, in FAISS row order
    v-<stamp>/letters.jsonl    the cleaned letters (for page lookups and "open letter")
    v-<stamp>/vectors.faiss    inner-product index over L2-normalised embeddings: flat (exact), or
                               HNSW above RetrievalConfig.ann_min_passages (manifest.index_type)
    v-<stamp>/sentences.jsonl  per passage row: its sentences as [start, end] offsets in the passage text
    v-<stamp>/sentences.npy    their embeddings, in the same order (the extractive composer scores them)
    v-<stamp>/contexts.npy     the same sentences embedded in their passage's context (pooled from the
                               passage's token states), in the same order; a sentence scores by both
    v-<stamp>/windows.npy      embeddings of each two consecutive sentences of a passage, in the same
                               order (a passage of n sentences has n - 1; retrieval ranks by them)
    v-<stamp>/words.json       the distinct words of the passages (index/vocabulary.py)
    v-<stamp>/words.npy        their embeddings, in the same order (rag/translation.py translates with them)
    v-<stamp>/sources.json     per source file its content hash and the letter it loaded as (before
                               merging), for the next build to reuse (index/build.py); optional

Vectors are held once: the passage vectors are a view of the FAISS index's own storage (flat or
the HNSW graph's flat storage), and the sentence, window and word vectors are memory-mapped ``.npy``
files, sliced per passage without copying. (``faiss.IO_FLAG_MMAP`` does not map a flat index:
faiss 1.15 still reads it into memory, so it is read normally.)

A build writes a complete new version folder and only then points ``CURRENT`` at it, so a failed
or interrupted build leaves the previous index untouched and readable.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.errors import UserError
from index.models import Letter, Passage

FORMAT_VERSION = 4  # 2: words.json and words.npy; 3: windows.npy; 4: contexts.npy
REBUILD_HINT = "rag index --index {dir}"
SOURCES_FILE = "sources.json"


class StoreError(UserError, RuntimeError):
    """Base class for problems with an index folder; the message says what to run."""


class IndexMissing(StoreError):
    pass


class IndexCorrupt(StoreError):
    pass


class IndexMismatch(StoreError):
    pass


@dataclass
class Manifest:
    """What an index was built from and with; compared on open to catch mismatches."""

    model_id: str
    model_checksum: str
    dim: int
    chunker: dict
    files: dict[str, str] = field(default_factory=dict)  # source path -> sha256 of its bytes
    letters: int = 0
    passages: int = 0
    duplicates: dict[str, str] = field(default_factory=dict)  # alias letter id -> canonical id
    format_version: int = FORMAT_VERSION
    built_at: str = ""
    # "flat" (exact inner product) or "hnsw" (faiss IndexHNSWFlat); manifests older than this field are flat.
    index_type: str = "flat"
    ann: dict = field(default_factory=dict)  # HNSW parameters: M, ef_construction, ef_search


#: HNSW parameters. On the scale corpus (benchmarks/scale.py) these give recall@10 >= 0.99 against flat.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


def build_ann(vectors: np.ndarray, m: int = HNSW_M, ef_construction: int = HNSW_EF_CONSTRUCTION):
    """An HNSW inner-product index over ``vectors`` (rows L2-normalised)."""
    import faiss

    index = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


class _Rows:
    """Per-passage row slices of one matrix (views, no copies): ``rows[i]`` is passage i's block."""

    def __init__(self, matrix: np.ndarray, bounds: np.ndarray):
        self.matrix, self.bounds = matrix, bounds

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        if i < 0:
            i += len(self)
        return self.matrix[self.bounds[i] : self.bounds[i + 1]]

    def __iter__(self):
        return (self[i] for i in range(len(self)))


class _Keeper:
    """Exposes a FAISS index's vector storage to numpy and keeps the index alive while a view exists."""

    def __init__(self, index, address: int, shape: tuple[int, int]):
        self.index = index
        self.__array_interface__ = {"data": (address, True), "shape": shape, "typestr": "<f4", "version": 3}


def _storage_view(index) -> np.ndarray:
    """The (ntotal, d) float32 vectors inside a flat or HNSW-flat index, without copying them."""
    import faiss

    owner = index  # the wrapper that owns the C++ object: a downcast one does not keep it alive
    index = faiss.downcast_index(index)
    flat = index if isinstance(index, faiss.IndexFlat) else faiss.downcast_index(index.storage)
    if not isinstance(flat, faiss.IndexFlat):
        return np.ascontiguousarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)
    n, d = flat.ntotal, flat.d
    if n == 0:
        return np.zeros((0, d), np.float32)
    address = faiss.rev_swig_ptr(flat.get_xb(), n * d).ctypes.data
    view = np.asarray(_Keeper(owner, address, (n, d)))
    view.flags.writeable = False
    return view


@dataclass
class IndexStore:
    """A loaded index: passages[i] is FAISS row i."""

    path: Path
    manifest: Manifest
    passages: list[Passage]
    letters: dict[str, Letter]
    faiss_index: object  # flat or HNSW (manifest.index_type)
    sentences: list[list[tuple[int, int]]]  # per passage row, offsets within passage.text
    sentence_matrix: np.ndarray  # every sentence's vector, passage by passage (memory-mapped)
    sentence_bounds: np.ndarray  # passage i's sentences are rows sentence_bounds[i]:sentence_bounds[i + 1]
    context_matrix: np.ndarray  # every sentence's vector in its passage's context, rows as sentence_matrix (memory-mapped)
    window_matrix: np.ndarray  # every window's vector (two consecutive sentences), passage by passage (memory-mapped)
    window_bounds: np.ndarray  # passage i's windows are rows window_bounds[i]:window_bounds[i + 1]
    words: list[str]  # the corpus's distinct words
    word_vectors: np.ndarray  # one row per word (memory-mapped)
    _matrix: np.ndarray | None = None  # the passage vectors: a view of faiss_index's storage

    @property
    def sentence_vectors(self) -> _Rows:
        """Per passage row, its sentences' vectors (views of ``sentence_matrix``)."""
        return _Rows(self.sentence_matrix, self.sentence_bounds)

    @property
    def context_vectors(self) -> _Rows:
        """Per passage row, its sentences' vectors in the passage's context (views of ``context_matrix``)."""
        return _Rows(self.context_matrix, self.sentence_bounds)

    @property
    def window_vectors(self) -> _Rows:
        """Per passage row, its windows' vectors (views of ``window_matrix``)."""
        return _Rows(self.window_matrix, self.window_bounds)

    @property
    def approximate(self) -> bool:
        return self.manifest.index_type != "flat"

    def vectors(self) -> np.ndarray:
        """All passage vectors (row i belongs to passages[i]); a read-only view, not a copy."""
        if self._matrix is None:
            self._matrix = _storage_view(self.faiss_index)
        return self._matrix

    def scores(self, query_vector: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Exact cosines of the query with every passage (or with ``rows``), from the stored vectors."""
        matrix = self.vectors()
        q = np.asarray(query_vector, np.float32).reshape(-1)
        return (matrix if rows is None else matrix[rows]) @ q

    def search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Top-k (row, cosine) pairs for one normalised query vector.

        Exact on a flat index, and whenever k reaches every passage (a filtered or named-letter
        search); otherwise an HNSW index answers with efSearch = max(ef_search, k)."""
        n = self.faiss_index.ntotal
        k = min(k, n)
        if k == 0:
            return []
        if not self.approximate or k >= n:
            scores = self.scores(query_vector)
            top = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
            top = top[np.lexsort((top, -scores[top]))]
            return [(int(r), float(scores[r])) for r in top]
        import faiss

        params = faiss.SearchParametersHNSW(efSearch=max(int(self.manifest.ann.get("ef_search", HNSW_EF_SEARCH)), k))
        scores, rows = self.faiss_index.search(np.asarray(query_vector, np.float32).reshape(1, -1), k, params=params)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def flat_index(self):
        """An exact FAISS index over the same vectors (for measuring the approximate one)."""
        import faiss

        flat = faiss.IndexFlatIP(self.manifest.dim)
        flat.add(np.ascontiguousarray(self.vectors()))
        return flat


def _active_dir(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        return None
    return index_dir / pointer.read_text(encoding="utf-8").strip()


def exists(index_dir: Path) -> bool:
    active = _active_dir(Path(index_dir))
    return active is not None and (active / "manifest.json").is_file()


def write_index(
    index_dir: Path,
    manifest: Manifest,
    passages: list[Passage],
    letters: list[Letter],
    vectors: np.ndarray,
    sentences: list[list[tuple[int, int]]],
    sentence_vectors: np.ndarray,
    context_vectors: np.ndarray,
    window_vectors: np.ndarray,
    words: list[str],
    word_vectors: np.ndarray,
    ann_min_passages: int | None = None,
    sources: dict | None = None,
) -> Path:
    """Write a complete new version and switch ``CURRENT`` to it atomically; returns its folder.

    With ``ann_min_passages`` set and at least that many passages, the vectors go into an HNSW
    index instead of a flat one (``manifest.index_type``)."""
    import faiss

    if len(passages) != len(vectors) or len(passages) != len(sentences):
        raise ValueError(f"{len(passages)} passages but {len(vectors)} vectors, {len(sentences)} sentence lists")
    if not sum(map(len, sentences)) == len(sentence_vectors) == len(context_vectors):
        raise ValueError("sentence spans, sentence vectors and context vectors differ in number")
    if sum(_window_counts(sentences)) != len(window_vectors):
        raise ValueError(f"{sum(_window_counts(sentences))} windows but {len(window_vectors)} window vectors")
    if len(words) != len(word_vectors):
        raise ValueError(f"{len(words)} words but {len(word_vectors)} word vectors")
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    previous = _active_dir(index_dir)
    version = Path(tempfile.mkdtemp(prefix=f"v-{time.strftime('%Y%m%d-%H%M%S')}-", dir=index_dir))
    try:
        manifest.passages, manifest.letters = len(passages), len(letters)
        manifest.built_at = time.strftime("%Y-%m-%dT%H:%M:%S")
        _write_jsonl(version / "passages.jsonl", (p.to_dict() for p in passages))
        _write_jsonl(version / "letters.jsonl", (letter.to_dict() for letter in letters))
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(passages), manifest.dim)
        if ann_min_passages is not None and len(passages) >= ann_min_passages:
            manifest.index_type = "hnsw"
            manifest.ann = {"M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH}
            dense = build_ann(vectors)
        else:
            manifest.index_type, manifest.ann = "flat", {}
            dense = faiss.IndexFlatIP(manifest.dim)
            if len(vectors):
                dense.add(np.ascontiguousarray(vectors))
        faiss.write_index(dense, str(version / "vectors.faiss"))
        _write_jsonl(version / "sentences.jsonl", ([list(span) for span in spans] for spans in sentences))
        np.save(version / "sentences.npy", np.asarray(sentence_vectors, dtype=np.float32))
        np.save(version / "contexts.npy", np.asarray(context_vectors, dtype=np.float32).reshape(len(context_vectors), manifest.dim))
        np.save(version / "windows.npy", np.asarray(window_vectors, dtype=np.float32).reshape(len(window_vectors), manifest.dim))
        (version / "words.json").write_text(json.dumps(words, ensure_ascii=False), "utf-8")
        np.save(version / "words.npy", np.asarray(word_vectors, dtype=np.float32).reshape(len(words), manifest.dim))
        if sources is not None:
            (version / SOURCES_FILE).write_text(json.dumps(sources, ensure_ascii=False), "utf-8")
        # The manifest goes last: a version folder without one is never opened.
        (version / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2, ensure_ascii=False), "utf-8")
        pointer_tmp = index_dir / f".CURRENT.{os.getpid()}"
        pointer_tmp.write_text(version.name, encoding="utf-8")
        os.replace(pointer_tmp, index_dir / "CURRENT")
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    if previous is not None and previous != version:
        shutil.rmtree(previous, ignore_errors=True)
    return version


def _window_counts(sentences: list[list[tuple[int, int]]]) -> list[int]:
    """Windows per passage: one per two consecutive sentences (index/sentences.py's window_spans)."""
    return [max(len(row) - 1, 0) for row in sentences]


def _bounds(counts: list[int]) -> np.ndarray:
    return np.cumsum([0] + counts)


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_sources(index_dir: Path) -> dict | None:
    """The active version's ``sources.json`` (what :func:`write_index` was given), or None."""
    active = _active_dir(Path(index_dir))
    try:
        return json.loads((active / SOURCES_FILE).read_text(encoding="utf-8")) if active else None
    except (OSError, ValueError):
        return None


def read_manifest(index_dir: Path) -> Manifest:
    index_dir = Path(index_dir)
    active = _active_dir(index_dir)
    hint = REBUILD_HINT.format(dir=index_dir)
    if active is None or not (active / "manifest.json").is_file():
        raise IndexMissing(f"no index at {index_dir}. Build it with: {hint}")
    try:
        return Manifest(**json.loads((active / "manifest.json").read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise IndexCorrupt(f"index manifest at {active} is unreadable ({exc}). Rebuild with: {hint}") from exc


def check_compatible(manifest: Manifest, index_dir: Path, model_id: str, model_checksum: str | None, chunker: dict) -> None:
    """Raise IndexMismatch naming what differs between the index and the current settings."""
    hint = REBUILD_HINT.format(dir=index_dir)
    problems = []
    if manifest.model_id != model_id:
        problems.append(f"model {manifest.model_id!r} (configured: {model_id!r})")
    elif model_checksum is not None and manifest.model_checksum != model_checksum:
        problems.append(f"model weights checksum {manifest.model_checksum[:12]}… (installed: {model_checksum[:12]}…)")
    if manifest.chunker != chunker:
        diffs = [f"{k}={manifest.chunker.get(k)!r}→{v!r}" for k, v in chunker.items() if manifest.chunker.get(k) != v]
        problems.append("chunker settings " + ", ".join(diffs))
    if problems:
        raise IndexMismatch(f"the index at {index_dir} was built with another " + "; ".join(problems) + f". Rebuild it with: {hint}")


def load_index(index_dir: Path) -> IndexStore:
    """Open the active version; raises IndexMissing, IndexMismatch or IndexCorrupt with the command to rebuild."""
    import faiss

    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    active = _active_dir(index_dir)
    hint = REBUILD_HINT.format(dir=index_dir)
    if manifest.format_version != FORMAT_VERSION:  # checked first: an older version lacks files this one reads
        raise IndexMismatch(
            f"the index at {index_dir} has format version {manifest.format_version}; this program reads "
            f"version {FORMAT_VERSION}. Rebuild it with: {hint}"
        )
    try:
        passages = [Passage.from_dict(d) for d in _read_jsonl(active / "passages.jsonl")]
        letters = {d["id"]: Letter.from_dict(d) for d in _read_jsonl(active / "letters.jsonl")}
        vectors = faiss.read_index(str(active / "vectors.faiss"))
        sentences = [[tuple(span) for span in row] for row in _read_jsonl(active / "sentences.jsonl")]
        flat_sentences = np.load(active / "sentences.npy", mmap_mode="r")
        contexts = np.load(active / "contexts.npy", mmap_mode="r")
        windows = np.load(active / "windows.npy", mmap_mode="r")
        words = json.loads((active / "words.json").read_text(encoding="utf-8"))
        word_vectors = np.load(active / "words.npy", mmap_mode="r")
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise IndexCorrupt(f"index at {index_dir} is damaged ({exc.__class__.__name__}: {exc}). Rebuild with: {hint}") from exc
    sentence_bounds = _bounds([len(row) for row in sentences])
    window_bounds = _bounds(_window_counts(sentences))
    if (
        vectors.ntotal != len(passages)
        or len(passages) != manifest.passages
        or vectors.d != manifest.dim
        or len(sentences) != len(passages)
        or sentence_bounds[-1] != len(flat_sentences)
        or len(contexts) != len(flat_sentences)
        or window_bounds[-1] != len(windows)
        or len(words) != len(word_vectors)
    ):
        raise IndexCorrupt(
            f"index at {index_dir} is inconsistent: {len(passages)} passages, {vectors.ntotal} vectors, "
            f"{len(flat_sentences)} sentence, {len(contexts)} context and {len(windows)} window vectors for {sentence_bounds[-1]} "
            f"sentences, {len(words)} words, {len(word_vectors)} word vectors; manifest says {manifest.passages} "
            f"passages of dimension {manifest.dim}. Rebuild with: {hint}"
        )
    if manifest.index_type not in ("flat", "hnsw"):
        raise IndexMismatch(f"the index at {index_dir} has index type {manifest.index_type!r}, which this program cannot read. Rebuild it with: {hint}")
    return IndexStore(
        active, manifest, passages, letters, vectors, sentences, flat_sentences, sentence_bounds, contexts, windows, window_bounds,
        words, word_vectors,
    )
