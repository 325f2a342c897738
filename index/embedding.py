"""Sentence embeddings with the e5 prefixes, from a locally available sentence-transformers model.

The default model is multilingual-e5-small, rebuilt offline from installed packages (see
:mod:`index.e5_checkpoint`). Any other sentence-transformers model name or path can be set in
``Config.model.name``; it is loaded with ``local_files_only`` so nothing is fetched at run time.

``Config.model.backend`` picks what runs the model (:mod:`index.backends`): OpenVINO by default,
torch as the reference and the fallback. The tokenizer is always the sentence-transformers
model's, so token counts and ids do not depend on the backend.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from index.backends import load_backend
from index.config import DEFAULT_MODEL, ModelConfig
from index.e5_checkpoint import ensure_checkpoint, file_sha256
from index.errors import UserError


QUERY_CACHE_SIZE = 256  # question vectors kept: a conversation's questions and their clauses


class ModelError(UserError, RuntimeError):
    """The embedding model could not be found or loaded."""


def resolve_model_path(cfg: ModelConfig, cache_dir: Path) -> str:
    """Folder (or name) that ``SentenceTransformer`` should load for this config."""
    if cfg.name == DEFAULT_MODEL:
        return str(ensure_checkpoint(cache_dir))
    return cfg.name


@lru_cache(maxsize=2)
def _load(path: str, max_seq_length: int):
    # Imported here: sentence-transformers pulls in torch, which commands like `rag passages` never need.
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(path, device="cpu", local_files_only=True)
    except Exception as exc:  # the library raises many types; users need one clear message
        raise ModelError(
            f"cannot load embedding model {path!r} offline ({exc.__class__.__name__}: {exc}). "
            "Use a local model folder or a model already in the Hugging Face cache."
        ) from exc
    model.max_seq_length = max_seq_length
    return model


def _fingerprint(path: str) -> str:
    """Checksum identifying the weights, stored in the index manifest."""
    folder = Path(path)
    if (folder / "CHECKSUM").is_file():  # written by e5_checkpoint at build time: no 400 MB re-hash per start
        return (folder / "CHECKSUM").read_text(encoding="utf-8").strip()
    weights = sorted(folder.glob("*.safetensors")) + sorted(folder.glob("pytorch_model*.bin"))
    if not weights:
        return hashlib.sha256(path.encode()).hexdigest()
    digest = hashlib.sha256()
    for w in weights:
        digest.update(file_sha256(w).encode())
    return digest.hexdigest()


@lru_cache(maxsize=4)
def _backend(name: str, path: str, max_seq_length: int, cache_dir: str, batch_size: int):
    return load_backend(name, _load(path, max_seq_length), path, _cached_fingerprint(path), Path(cache_dir), batch_size)


class Embedder:
    """Embeds questions and passages with the right prefixes; vectors are L2-normalised float32."""

    def __init__(self, cfg: ModelConfig, cache_dir: Path):
        self.cfg = cfg
        self.cache_dir = Path(cache_dir)
        self.path = resolve_model_path(cfg, cache_dir)
        self.model = _load(self.path, cfg.max_seq_length)  # the tokenizer, the reference and the fallback
        self.dim = int(self.model.get_embedding_dimension())
        # What actually runs: cfg.backend, or torch if that cannot be had here (one line on stderr).
        self.backend = _backend(cfg.backend, self.path, cfg.max_seq_length, str(cache_dir), cfg.batch_size)
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()  # question text -> vector, least recent first
        self._query_lock = threading.Lock()  # the chat window answers several questions at once

    @property
    def model_id(self) -> str:
        return self.cfg.name

    @property
    def checksum(self) -> str:
        """Identifies the vectors in the index manifest: the weights' checksum, whichever backend runs.

        Backends share it because they give the same vectors to within cosine 0.99995 (bf16
        OpenVINO against fp32 torch; tests/test_embedding_backends.py holds them to 0.999), so an
        index built with one may be queried with the other, e.g. after a fallback to torch.
        """
        return _cached_fingerprint(self.path)

    @property
    def backend_name(self) -> str:
        """The backend that runs, with its precision: ``openvino-bf16``, ``torch-f32``, …"""
        return f"{self.backend.name}-{self.backend.precision}"

    def encode_passages(self, texts: list[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed passages in batches; ``on_batch(n)`` is called after each batch (for progress bars)."""
        return self._encode_batched(texts, self.cfg.passage_prefix, on_batch)

    def encode_passages_in_context(
        self, texts: list[str], spans: list[list[tuple[int, int]]], on_batch: Callable[[int], None] | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embed passages as :meth:`encode_passages` does, and each span (a sentence) in its passage's context.

        A span's context vector is the mean of the passage's token states over the span's tokens,
        normalised ("late chunking"): the words around a sentence shape its vector, which an
        embedding of the sentence alone does not see ("dit pakket" knows which package). It comes
        from the same forward pass as the passage vector.

        Args:
            texts: passage texts (without prefix).
            spans: per text, character offsets of its sentences within it.
            on_batch: called with the number of texts done after each batch.

        Returns:
            The passage vectors, and per text an array with one row per span; a span whose tokens
            were cut off (a text longer than the model's window) gets a row of zeros.
        """
        prefix = self.cfg.passage_prefix
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        contexts: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        for rows in self._batches(texts, on_batch):
            prefixed = [prefix + texts[r] for r in rows]
            vectors[rows], states = self.backend.encode_tokens(prefixed)
            for r, text, tokens in zip(rows, prefixed, states):
                contexts[r] = self._pool_spans(text, tokens, [(a + len(prefix), b + len(prefix)) for a, b in spans[r]])
        return vectors, contexts

    def _pool_spans(self, text: str, tokens: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
        """Per span of ``text``, the normalised mean of ``tokens`` (its token states) over the tokens inside it."""
        offsets = np.array(
            self.model.tokenizer(text, return_offsets_mapping=True, truncation=True, max_length=self.cfg.max_seq_length)["offset_mapping"]
        ).reshape(-1, 2)
        if len(offsets) != len(tokens):  # not the tokenization the model saw: no context to give
            return np.zeros((len(spans), self.dim), np.float32)
        out = np.zeros((len(spans), self.dim), np.float32)
        real = offsets[:, 1] > offsets[:, 0]  # special tokens have empty offsets
        for i, (start, end) in enumerate(spans):
            inside = real & (offsets[:, 1] > start) & (offsets[:, 0] < end)
            if inside.any():
                mean = tokens[inside].mean(axis=0)
                out[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return out

    def encode_words(self, words: list[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed single words for word-to-word similarity; e5 takes ``query:`` on both sides of a symmetric task."""
        return self._encode_batched(words, self.cfg.query_prefix, on_batch)

    def _encode_batched(self, texts: list[str], prefix: str, on_batch: Callable[[int], None] | None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows in self._batches(texts, on_batch):
            out[rows] = self._encode([prefix + texts[r] for r in rows])
        return out

    def _batches(self, texts: list[str], on_batch: Callable[[int], None] | None) -> Iterator[list[int]]:
        """Row numbers of ``texts``, longest first, as many at a time as the backend takes; ``on_batch``
        hears of each batch once it is done."""
        # Batches of similar length pad little; sentence-transformers sorts like this within one
        # encode() call, and batching here (for progress) must not lose that.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = self.backend.texts_per_call
        for i in range(0, len(order), step):
            rows = order[i : i + step]
            yield rows
            if on_batch:
                on_batch(len(rows))

    def encode_queries(self, texts: Iterable[str]) -> np.ndarray:
        return self._encode([self.cfg.query_prefix + t for t in texts])

    def encode_query(self, text: str) -> np.ndarray:
        """One question's vector; cached, because retrieval and composing both need it."""
        return self.encode_query_batch([text])[0]

    def encode_query_batch(self, texts: list[str]) -> list[np.ndarray]:
        """Several questions' vectors (the clauses of a compound question), cached like ``encode_query``.

        The uncached ones are embedded in one call: on OpenVINO that runs them side by side, one
        per core, instead of one after another; each text's vector is the same either way.
        """
        with self._query_lock:
            found = {t: self._queries[t] for t in texts if t in self._queries}
            for text in found:
                self._queries.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            fresh = self.encode_queries(missing)
            fresh.setflags(write=False)
            with self._query_lock:
                for text, vector in zip(missing, fresh):
                    self._queries[text] = found[text] = vector
                while len(self._queries) > QUERY_CACHE_SIZE:
                    self._queries.popitem(last=False)
        return [found[t] for t in texts]

    def clear_query_cache(self) -> None:
        """Forget cached question vectors (benchmarks and evaluations measure uncached questions)."""
        with self._query_lock:
            self._queries.clear()

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.backend.encode(texts)

    def token_count(self, text: str, prefix: str | None = None) -> int:
        """Tokens the model sees for ``text`` (prefix and special tokens included)."""
        prefix = self.cfg.passage_prefix if prefix is None else prefix
        return len(self.model.tokenizer(prefix + text)["input_ids"])

    def fits(self, text: str) -> bool:
        """Whether a passage plus its prefix fits the model's window without truncation."""
        return self.token_count(text) <= self.cfg.max_seq_length


@lru_cache(maxsize=4)
def _cached_fingerprint(path: str) -> str:
    return _fingerprint(path)
