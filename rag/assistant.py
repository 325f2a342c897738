"""The answering facade: ``Assistant.load(index_dir).ask(question)`` → :class:`Answer`."""

from __future__ import annotations

import functools
import re
import time
import unicodedata
from copy import deepcopy
from pathlib import Path

from threadpoolctl import ThreadpoolController

from index.chunking import chunker_settings
from index.config import Config
from index.embedding import Embedder
from index.errors import UserError
from index.store import IndexStore, check_compatible, load_index
from rag.compose import ExtractiveComposer
from rag.conversation import resolve
from rag.language import detect_language
from rag.retrieve import Filters, Retriever
from rag.types import Answer, Composer, OnText

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MESSAGES = {
    "empty": "De vraag is leeg. Stel een vraag over de brieven. / The question is empty.",
    "clipped": {
        "nl": "De vraag was {n} tekens lang en is ingekort tot de eerste {m}.",
        "en": "The question was {n} characters long and was clipped to the first {m}.",
    },
}


def _one_blas_thread():
    """A context in which numpy's BLAS runs on one thread.

    A question's matrix products are matrix-vector products (the passages' and every sentence's
    cosine with the query): a few milliseconds on one core. Split over OpenBLAS's threads they
    wait on each other and on the embedding model's threads; on the shared 2-core machine, at
    load 8, the 5,963 passage cosines took 16 ms on two threads and 1 ms on one."""
    return _blas_controller().limit(limits=1, user_api="blas")


@functools.cache
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()  # made on first use: it sees the BLAS libraries loaded by then (numpy, faiss)


class QuestionError(UserError, ValueError):
    """The question cannot be answered as given (e.g. it is empty)."""


def clean_question(question: str, max_chars: int) -> tuple[str, int]:
    """Strip control characters and surrounding space, clip to ``max_chars``; returns (text, original length)."""
    if not isinstance(question, str):
        raise QuestionError(MESSAGES["empty"])
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", question)).strip()
    text = re.sub(r"\s+", " ", text)
    if not text:
        raise QuestionError(MESSAGES["empty"])
    return text[:max_chars].rstrip(), len(text)


class Assistant:
    """Retrieves passages of the indexed letters and composes a cited answer."""

    def __init__(self, store: IndexStore, embedder: Embedder, config: Config, composer: Composer | None = None):
        self.store = store
        self.embedder = embedder
        self.config = config
        self.retriever = Retriever(store, embedder, config.retrieval)
        self.extractive = ExtractiveComposer(store, embedder, config.answer, self.retriever.profiles, self.retriever.sentence_cosines)
        self.composer = composer or self._configured_composer()

    @classmethod
    def load(cls, index_dir: str | Path | None = None, config: Config | None = None) -> "Assistant":
        """Open an index and check it was built with the configured model and chunker."""
        # A copy: the caller's settings are theirs (one Config may open several indexes).
        config = deepcopy(config) if config is not None else Config()
        if index_dir is not None:
            config.index_dir = Path(index_dir)
        store = load_index(config.index_dir)
        embedder = Embedder(config.model, config.model_cache)
        check_compatible(store.manifest, config.index_dir, embedder.model_id, embedder.checksum, chunker_settings(config.chunk))
        return cls(store, embedder, config)

    def _configured_composer(self) -> Composer:
        from rag.llm import LLMComposer

        if self.config.answer.composer == "llm":
            return LLMComposer(self.config.llm, fallback=self.extractive)
        return self.extractive

    def ask(
        self,
        question: str,
        history=None,
        *,
        letters: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        k: int | None = None,
        mode: str | None = None,
        composer: Composer | None = None,
        on_text: OnText | None = None,
    ) -> Answer:
        """Answer ``question``; ``history`` holds earlier turns for follow-ups, the rest filter retrieval."""
        started = time.perf_counter()
        text, original_length = clean_question(question, self.config.answer.max_question_chars)
        language = detect_language(text)
        notices = []
        if original_length > len(text):
            notices.append(MESSAGES["clipped"][language].format(n=original_length, m=len(text)))
        searched = resolve(text, history)
        filters = Filters(letters, date_from, date_to) if (letters or date_from or date_to) else None

        with _one_blas_thread():
            t0 = time.perf_counter()
            retrieval = self.retriever.retrieve(searched, k=k, mode=mode, filters=filters)
            t1 = time.perf_counter()
            composer = composer or self.composer
            composition = composer.compose(searched, retrieval.sources, language, on_text=on_text)
            t2 = time.perf_counter()
        return Answer(
            question=text,
            text=composition.text,
            citations=composition.citations,
            passages=retrieval.sources,
            abstained=composition.abstained,
            timings={"retrieve": (t1 - t0) * 1000, "compose": (t2 - t1) * 1000, "total": (t2 - started) * 1000},
            language=language,
            composer=composer.name,
            notices=notices + composition.notices,
            unsupported=composition.unsupported,
            resolved_question=searched if searched != text else None,
        )
