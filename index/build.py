"""The build pipeline: letters → clean text → passages → embeddings → FAISS + passage store.

Besides each passage, each of its sentences is embedded too: the extractive composer picks
answer sentences by their similarity to the question, and doing that at index time keeps a
question to one dot product. So is each distinct word (:mod:`index.vocabulary`), to translate
the words of English questions into the letters' words.

Builds are incremental through a content-hash cache: a text (passage, sentence or word) already in the
previous index (same model, same weights) reuses its vector, so adding, changing or removing one
letter embeds only what changed, and the result equals a full rebuild.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from index import store
from index.chunking import chunk_letter, chunker_settings
from index.config import Config, bundled_letters_dir
from index.dedup import merge_duplicates
from index.embedding import Embedder
from index.letters import load_letters
from index.loaders import LoadError
from index.models import Passage
from index.sentences import sentence_spans
from index.vocabulary import corpus_words

#: progress(stage, done, total): stages are "letters", "passages", "sentences" and "words".
Progress = Callable[[str, int, int], None]


class BuildError(RuntimeError):
    """Nothing could be indexed; the previous index is left as it was."""


@dataclass
class BuildReport:
    letters: int
    passages: int
    duplicates: dict[str, str]
    sentences: int
    words: int
    embedded: int  # texts (passages, sentences and words) embedded in this build
    reused: int  # texts whose vectors came from the previous index
    seconds: float
    errors: list[LoadError] = field(default_factory=list)
    index_path: Path | None = None


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _word_key(word: str) -> str:
    # Words are embedded with another prefix than passages, so a one-word passage must not share its key.
    return _text_key("word:" + word)


def _sentence_texts(passage: Passage, spans: list[tuple[int, int]]) -> list[str]:
    return [passage.text[a:b] for a, b in spans]


def _previous_vectors(cfg: Config, embedder: Embedder) -> dict[str, np.ndarray]:
    """Vectors of the current index by text hash, if it was built with the same model."""
    try:
        previous = store.load_index(cfg.index_dir)
    except store.StoreError:
        return {}
    m = previous.manifest
    if m.model_id != embedder.model_id or m.model_checksum != embedder.checksum or m.dim != embedder.dim:
        return {}
    vectors = previous.vectors()
    cache = {_text_key(p.embedding_text()): vectors[i] for i, p in enumerate(previous.passages)}
    for p, spans, sentence_vectors in zip(previous.passages, previous.sentences, previous.sentence_vectors):
        cache.update(zip(map(_text_key, _sentence_texts(p, spans)), sentence_vectors))
    cache.update(zip(map(_word_key, previous.words), previous.word_vectors))
    return cache


def _embed(
    texts: list[str], cache: dict[str, np.ndarray], embedder: Embedder, stage: str, report: Progress, words: bool = False
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts``, embedding only those not in ``cache`` (which is extended); returns (vectors, embedded)."""
    key, encode = (_word_key, embedder.encode_words) if words else (_text_key, embedder.encode_passages)
    keys = [key(t) for t in texts]
    todo = sorted({key: i for i, key in enumerate(keys) if key not in cache}.values())
    done = len(texts) - len(todo)
    report(stage, done, len(texts))

    def advance(n: int) -> None:
        nonlocal done
        done += n
        report(stage, done, len(texts))

    if todo:
        fresh = encode([texts[i] for i in todo], on_batch=advance)
        cache.update(zip((keys[i] for i in todo), fresh))
    report(stage, len(texts), len(texts))
    vectors = np.stack([cache[k] for k in keys]) if texts else np.zeros((0, embedder.dim), np.float32)
    return vectors, len(todo)


def indexed_sources(cfg: Config) -> list[Path]:
    """The source files of the current index (for adding letters to it)."""
    try:
        return [Path(p) for p in store.read_manifest(cfg.index_dir).files]
    except store.StoreError:
        return []


def build_index(
    paths: list[Path] | None, cfg: Config, progress: Progress | None = None, embedder: Embedder | None = None
) -> BuildReport:
    """Index ``paths`` (files or folders; default: the bundled letters) into ``cfg.index_dir``."""
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    sources = [Path(p) for p in (paths or [bundled_letters_dir()])]

    letters, errors = load_letters(sources, on_letter=lambda done, total: report("letters", done, total))
    if not letters:
        reasons = "; ".join(str(e) for e in errors) or "no supported files"
        raise BuildError(f"no letter could be read ({reasons}); the existing index was not changed")
    files = {str(Path(letter.source).resolve()): letter.content_hash for letter in letters}
    letters = merge_duplicates(letters) if cfg.merge_duplicates else sorted(letters, key=lambda letter: letter.id)
    duplicates = {alias: letter.id for letter in letters for alias in letter.aliases}

    embedder = embedder or Embedder(cfg.model, cfg.model_cache)
    passages = [p for letter in letters for p in chunk_letter(letter, cfg.chunk, fits=embedder.fits)]

    sentences = [sentence_spans(p.text) for p in passages]
    cache = _previous_vectors(cfg, embedder)
    vectors, embedded = _embed([p.embedding_text() for p in passages], cache, embedder, "passages", report)
    flat_sentences = [t for p, spans in zip(passages, sentences) for t in _sentence_texts(p, spans)]
    sentence_vectors, embedded_sentences = _embed(flat_sentences, cache, embedder, "sentences", report)
    words = corpus_words(passages)
    word_vectors, embedded_words = _embed(words, cache, embedder, "words", report, words=True)

    manifest = store.Manifest(
        model_id=embedder.model_id,
        model_checksum=embedder.checksum,
        dim=embedder.dim,
        chunker=chunker_settings(cfg.chunk),
        files=files,
        duplicates=duplicates,
    )
    path = store.write_index(
        cfg.index_dir, manifest, passages, letters, vectors, sentences, sentence_vectors, words, word_vectors,
        ann_min_passages=cfg.retrieval.ann_min_passages,
    )
    return BuildReport(
        letters=len(letters),
        passages=len(passages),
        sentences=len(flat_sentences),
        words=len(words),
        duplicates=duplicates,
        embedded=embedded + embedded_sentences + embedded_words,
        reused=len(passages) + len(flat_sentences) + len(words) - embedded - embedded_sentences - embedded_words,
        seconds=time.perf_counter() - started,
        errors=errors,
        index_path=path,
    )

