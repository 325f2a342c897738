"""Shared fixtures: the bundled letters and one embedding model per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.config import Config

# Shared non-fixture helpers live in tests/helpers.py (``from helpers import letter_path``).


@pytest.fixture(scope="session")
def rag_home(tmp_path_factory) -> Path:
    """A private RAG_HOME for the session; CLI tests point the environment at it."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="session")
def model_cache(rag_home) -> Path:
    """The converted default model, built once per test session (where RAG_HOME expects it)."""
    return rag_home / "models"


@pytest.fixture(scope="session")
def embedder(model_cache):
    from index.embedding import Embedder

    return Embedder(Config().model, model_cache)  # RAG_EMBED_BACKEND picks what runs it


@pytest.fixture()
def config(tmp_path, model_cache) -> Config:
    """A Config writing into tmp_path but sharing the session's converted model."""
    return Config(index_dir=tmp_path / "index", model_cache=model_cache, feedback_file=tmp_path / "feedback.jsonl")


@pytest.fixture(scope="session")
def bundled_index(rag_home, model_cache, embedder) -> Path:
    """The bundled letters indexed once per session (shared by answer, UI and eval tests)."""
    from index.build import build_index

    cfg = Config(index_dir=rag_home / "bundled-index", model_cache=model_cache)
    build_index(None, cfg, embedder=embedder)
    return cfg.index_dir


@pytest.fixture(scope="session")
def assistant(bundled_index, model_cache):
    """An Assistant over the bundled letters with the default (extractive) composer."""
    from rag.assistant import Assistant

    cfg = Config(index_dir=bundled_index, model_cache=model_cache)
    cfg.llm.base_url = cfg.llm.model = None  # an endpoint in the developer's environment must not leak in
    return Assistant.load(config=cfg)
