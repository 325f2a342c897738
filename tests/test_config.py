"""The settings object: choices are validated, the composer is the configured one, loading an
index leaves the caller's settings alone."""

from __future__ import annotations

from copy import deepcopy

import pytest

from index.config import AnswerConfig, Config, RetrievalConfig


def test_an_unknown_mode_or_composer_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="RetrievalConfig.mode must be one of dense, bm25, hybrid, not 'sparse'"):
        RetrievalConfig(mode="sparse")
    with pytest.raises(ValueError, match="AnswerConfig.composer must be one of extractive, llm, not 'gpt'"):
        AnswerConfig(composer="gpt")


def test_the_composer_comes_from_rag_composer(monkeypatch):
    monkeypatch.setenv("RAG_COMPOSER", "llm")
    assert Config().answer.composer == "llm"
    monkeypatch.setenv("RAG_COMPOSER", "chat")
    with pytest.raises(ValueError, match="not 'chat'"):
        Config()


@pytest.mark.slow
def test_an_endpoint_alone_does_not_switch_the_composer_and_load_copies_the_settings(bundled_index, model_cache, monkeypatch):
    from rag.assistant import Assistant

    monkeypatch.delenv("RAG_COMPOSER", raising=False)
    monkeypatch.setenv("RAG_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("RAG_LLM_MODEL", "some-model")
    cfg = Config(model_cache=model_cache)
    before = deepcopy(cfg)
    assistant = Assistant.load(bundled_index, config=cfg)
    assert assistant.composer.name == "extractive"
    assert cfg == before and assistant.config.index_dir == bundled_index

    cfg.answer.composer = "llm"
    assert Assistant.load(bundled_index, config=cfg).composer.name == "llm:some-model"
