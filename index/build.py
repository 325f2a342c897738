"""The build pipeline: letters → clean text → passages → embeddings → FAISS + passage store.

Besides each passage, each of its sentences is embedded too: the extractive composer picks
answer sentences by their similarity to the question, and doing that at index time keeps a
question to one dot product. So is each pair of consecutive sentences of a passage (a window,
:func:`index.sentences.window_spans`), which retrieval ranks passages by too, and each distinct
word (:mod:`index.vocabulary`), to translate the words of English questions into the letters' words.
The passage's own forward pass also gives each of its sentences a vector in context
(:meth:`index.embedding.Embedder.encode_passages_in_context`): a sentence is scored by both.

Builds are incremental through a content-hash cache: a text (passage, sentence, window or word) already in the
previous index (same model, same weights) reuses its vector, so adding, changing or removing one
letter embeds only what changed, and the result equals a full rebuild.

Reading, cleaning and chunking are incremental too: the index records, per source file, the sha256
of its bytes and the letter it loaded as (``sources.json``). A file whose bytes are unchanged reuses
that letter without being cleaned again; every letter, reused or new, still goes through duplicate
detection together (a new file may duplicate an indexed one, or make a shared line boilerplate);
and a letter that comes out of it exactly as stored reuses its passages and sentence offsets
instead of being chunked again. Both reuses hold only while the code and settings that make
letters and passages are those of the previous build (:func:`pipeline_fingerprint`), so
``rag index --add`` costs what the added files cost, plus one pass over what is stored.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from index import store
from index.chunking import chunk_letter, chunker_settings
from index.config import Config, bundled_letters_dir
from index.dedup import merge_duplicates
from index.embedding import Embedder
from index.errors import UserError
from index.letters import load_letters
from index.loaders import LoadError
from index.models import Letter, Passage
from index.sentences import sentence_spans, window_spans
from index.vocabulary import corpus_words

#: progress(stage, done, total): stages are "letters", "passages", "sentences", "windows" and "words".
Progress = Callable[[str, int, int], None]


class BuildError(UserError, RuntimeError):
    """Nothing could be indexed; the previous index is left as it was."""


@dataclass
class BuildReport:
    letters: int
    passages: int
    duplicates: dict[str, str]
    sentences: int
    windows: int
    words: int
    embedded: int  # texts (passages, sentences, windows and words) embedded in this build
    reused: int  # texts whose vectors came from the previous index
    seconds: float
    errors: list[LoadError] = field(default_factory=list)
    index_path: Path | None = None
    files_reused: int = 0  # source files whose letter came from the previous index (not read and cleaned)
    letters_rechunked: int = 0  # letters chunked in this build (the others reused their stored passages)


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _word_key(word: str) -> str:
    # Words are embedded with another prefix than passages, so a one-word passage must not share its key.
    return _text_key("word:" + word)


def _context_key(passage: Passage) -> str:
    # A passage's sentences in its context: keyed by everything the passage's forward pass saw.
    return _text_key("context:" + passage.embedding_text())


def _sentence_texts(passage: Passage, spans: list[tuple[int, int]]) -> list[str]:
    return [passage.text[a:b] for a, b in spans]


def _window_texts(passage: Passage, spans: list[tuple[int, int]]) -> list[str]:
    return _sentence_texts(passage, window_spans(spans))


#: The modules whose code turns a source file into a Letter, and then a Letter into passages and sentences.
_LETTER_MODULES = ("loaders", "cleaning", "metadata", "letters", "models", "sentences")
_PASSAGE_MODULES = ("models", "sentences", "tokens", "chunking")


def _code_digest(modules: tuple[str, ...], *settings) -> str:
    digest = hashlib.sha256()
    for name in modules:
        digest.update((Path(__file__).parent / f"{name}.py").read_bytes())
    digest.update(json.dumps(settings, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def letter_fingerprint() -> str:
    """Identifies how a file becomes a letter (the code that reads, cleans and describes it)."""
    return _code_digest(_LETTER_MODULES)


def passage_fingerprint(cfg: Config, embedder: Embedder) -> str:
    """Identifies how a letter becomes passages: the chunking code and settings, and what
    ``embedder.fits`` checks passages against."""
    model = embedder.cfg
    return _code_digest(_PASSAGE_MODULES, chunker_settings(cfg.chunk), embedder.model_id, embedder.checksum,
                        model.max_seq_length, model.passage_prefix)


@dataclass
class _Previous:
    """What the current index lets a new build reuse."""

    index: store.IndexStore | None = None
    sources: dict = field(default_factory=dict)  # its sources.json
    files: dict[tuple[str, str], Letter] = field(default_factory=dict)  # (source path, sha256 of its bytes) -> letter as loaded


def _previous(cfg: Config) -> _Previous:
    """The current index, and the letters its unchanged source files loaded as (same letter code)."""
    try:
        index = store.load_index(cfg.index_dir)
    except store.StoreError:
        return _Previous()
    sources = store.read_sources(cfg.index_dir) or {}
    previous = _Previous(index, sources)
    if sources.get("letters") == letter_fingerprint():
        for record in sources["files"]:
            letter = Letter.from_dict(record["letter"]) if "letter" in record else index.letters.get(record["letter_id"])
            if letter is not None:  # as load_letter made it: the id is the file's stem until ids are made unique
                previous.files[(record["path"], record["content_hash"])] = replace(letter, id=Path(letter.source).stem)
    return previous


def _previous_vectors(previous: _Previous, embedder: Embedder) -> dict[str, np.ndarray]:
    """Vectors of the current index by text hash, if it was built with the same model."""
    if previous.index is None:
        return {}
    m = previous.index.manifest
    if m.model_id != embedder.model_id or m.model_checksum != embedder.checksum or m.dim != embedder.dim:
        return {}
    index = previous.index
    vectors = index.vectors()
    cache = {_text_key(p.embedding_text()): vectors[i] for i, p in enumerate(index.passages)}
    cache.update((_context_key(p), np.asarray(rows)) for p, rows in zip(index.passages, index.context_vectors))
    for p, spans, sentence_vectors, window_vectors in zip(index.passages, index.sentences, index.sentence_vectors, index.window_vectors):
        cache.update(zip(map(_text_key, _sentence_texts(p, spans)), sentence_vectors))
        cache.update(zip(map(_text_key, _window_texts(p, spans)), window_vectors))
    cache.update(zip(map(_word_key, index.words), index.word_vectors))
    return cache


def _previous_chunks(previous: _Previous, fingerprint: str) -> dict[str, tuple[Letter, list[Passage], list]]:
    """Per letter id of the current index: the letter, its passages and their sentence offsets (same chunking only)."""
    if previous.index is None or previous.sources.get("passages") != fingerprint:
        return {}
    chunks: dict[str, tuple[Letter, list[Passage], list]] = {}
    for p, spans in zip(previous.index.passages, previous.index.sentences):
        letter, passages, sentences = chunks.setdefault(p.letter, (previous.index.letters[p.letter], [], []))
        passages.append(p)
        sentences.append(spans)
    return chunks


def _stored_letter(previous: _Previous, path: Path) -> Letter | None:
    """The stored letter of a file whose bytes are unchanged, or None."""
    if not previous.files:
        return None
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # load_letter reports it
    return previous.files.get((str(path), digest))


def _source_records(loaded: list[Letter], letters: list[Letter], fingerprints: dict[str, str]) -> dict:
    """``sources.json``: per loaded file its hash and letter id, and the letter itself where the
    index's (merged) letter of that id differs from it (an alias, a letter that absorbed one)."""
    kept = {letter.id: letter for letter in letters}
    files = []
    for letter in loaded:
        record = {"path": letter.source, "content_hash": letter.content_hash, "letter_id": letter.id}
        if kept.get(letter.id) != letter:
            record["letter"] = letter.to_dict()
        files.append(record)
    return {**fingerprints, "files": files}


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


def _embed_passages(
    passages: list[Passage], sentences: list[list[tuple[int, int]]], cache: dict[str, np.ndarray], embedder: Embedder, report: Progress
) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Passage vectors and their sentences' context vectors, embedding only passages not in ``cache``
    (which is extended); returns (vectors, per passage its context rows, passages embedded)."""
    keys = [(_text_key(p.embedding_text()), _context_key(p)) for p in passages]
    todo = sorted({key: i for i, key in enumerate(keys) if key[0] not in cache or key[1] not in cache}.values())
    done = len(passages) - len(todo)
    report("passages", done, len(passages))

    def advance(n: int) -> None:
        nonlocal done
        done += n
        report("passages", done, len(passages))

    if todo:
        texts = [passages[i].embedding_text() for i in todo]
        # Sentence offsets are in the passage text; the embedded text may open with its heading.
        shifts = [len(t) - len(passages[i].text) for t, i in zip(texts, todo)]
        spans = [[(a + shift, b + shift) for a, b in sentences[i]] for i, shift in zip(todo, shifts)]
        fresh, contexts = embedder.encode_passages_in_context(texts, spans, on_batch=advance)
        for i, vector, rows in zip(todo, fresh, contexts):
            cache[keys[i][0]], cache[keys[i][1]] = vector, rows
    report("passages", len(passages), len(passages))
    vectors = np.stack([cache[k] for k, _ in keys]) if passages else np.zeros((0, embedder.dim), np.float32)
    return vectors, [cache[k] for _, k in keys], len(todo)


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

    previous = _previous(cfg)
    reused_files = 0

    def cached(path: Path) -> Letter | None:
        nonlocal reused_files
        letter = _stored_letter(previous, path)
        reused_files += letter is not None
        return letter

    loaded, errors = load_letters(sources, on_letter=lambda done, total: report("letters", done, total), cached=cached)
    if not loaded:
        reasons = "; ".join(str(e) for e in errors) or "no supported files"
        raise BuildError(f"no letter could be read ({reasons}); the existing index was not changed")
    files = {str(Path(letter.source).resolve()): letter.content_hash for letter in loaded}
    # Every letter, reused or read anew, is compared with every other: what is a duplicate (and what
    # is boilerplate) depends on the whole collection.
    letters = merge_duplicates(loaded) if cfg.merge_duplicates else sorted(loaded, key=lambda letter: letter.id)
    duplicates = {alias: letter.id for letter in letters for alias in letter.aliases}

    embedder = embedder or Embedder(cfg.model, cfg.model_cache)
    fingerprints = {"letters": letter_fingerprint(), "passages": passage_fingerprint(cfg, embedder)}
    stored = _previous_chunks(previous, fingerprints["passages"])
    passages: list[Passage] = []
    sentences: list[list[tuple[int, int]]] = []
    rechunked = 0
    for letter in letters:
        if letter.id in stored and stored[letter.id][0] == letter:  # the same letter as indexed: its passages stand
            passages += stored[letter.id][1]
            sentences += stored[letter.id][2]
            continue
        fresh = chunk_letter(letter, cfg.chunk, fits=embedder.fits)
        passages += fresh
        sentences += [sentence_spans(p.text) for p in fresh]
        rechunked += 1

    cache = _previous_vectors(previous, embedder)
    del previous, stored  # the cache keeps the vectors it needs
    vectors, contexts, embedded = _embed_passages(passages, sentences, cache, embedder, report)
    flat_sentences = [t for p, spans in zip(passages, sentences) for t in _sentence_texts(p, spans)]
    sentence_vectors, embedded_sentences = _embed(flat_sentences, cache, embedder, "sentences", report)
    context_vectors = np.concatenate([*contexts, np.zeros((0, embedder.dim), np.float32)])
    cut_off = ~context_vectors.any(axis=1)  # a sentence the model's window cut off has its own vector as context
    context_vectors[cut_off] = sentence_vectors[cut_off]
    flat_windows = [t for p, spans in zip(passages, sentences) for t in _window_texts(p, spans)]
    window_vectors, embedded_windows = _embed(flat_windows, cache, embedder, "windows", report)
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
        cfg.index_dir, manifest, passages, letters, vectors, sentences, sentence_vectors, context_vectors, window_vectors, words, word_vectors,
        ann_min_passages=cfg.retrieval.ann_min_passages,
        sources=_source_records(loaded, letters, fingerprints),
    )
    return BuildReport(
        letters=len(letters),
        passages=len(passages),
        sentences=len(flat_sentences),
        windows=len(flat_windows),
        words=len(words),
        duplicates=duplicates,
        embedded=embedded + embedded_sentences + embedded_windows + embedded_words,
        reused=len(passages) + len(flat_sentences) + len(flat_windows) + len(words)
        - embedded - embedded_sentences - embedded_windows - embedded_words,
        seconds=time.perf_counter() - started,
        errors=errors,
        index_path=path,
        files_reused=reused_files,
        letters_rechunked=rechunked,
    )

