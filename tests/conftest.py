"""Shared fixtures: the bundled letters and one embedding model per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.config import Config, ModelConfig, bundled_letters_dir

LETTERS = bundled_letters_dir()


def letter_path(prefix: str) -> Path:
    """The bundled letter file whose name starts with ``prefix`` (e.g. "004")."""
    (path,) = LETTERS.glob(f"{prefix}_*.txt")
    return path


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """The converted default model, built once per test session in a private cache."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(model_cache):
    from index.embedding import Embedder

    return Embedder(ModelConfig(), model_cache)


@pytest.fixture()
def config(tmp_path, model_cache) -> Config:
    """A Config writing into tmp_path but sharing the session's converted model."""
    return Config(index_dir=tmp_path / "index", model_cache=model_cache, feedback_file=tmp_path / "feedback.jsonl")
