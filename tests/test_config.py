"""The settings object: choices are validated, the environment and the flags set the one object,
the composer is the configured one, loading an index leaves the caller's settings alone."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import BaseModel, ValidationError

from index.config import AnswerConfig, Config, ModelConfig, RetrievalConfig, settings_error


@pytest.fixture(autouse=True)
def _no_settings_in_the_environment(monkeypatch):
    """The developer's own RAG_ variables must not decide these tests."""
    import os

    for var in [v for v in os.environ if v.upper().startswith("RAG_") and v.upper() != "RAG_HOME"]:
        monkeypatch.delenv(var)


def test_an_unknown_mode_or_composer_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="mode\n.*must be one of dense, bm25, hybrid, not 'sparse'"):
        RetrievalConfig(mode="sparse")
    with pytest.raises(ValueError, match="composer\n.*must be one of extractive, llm, not 'gpt'"):
        AnswerConfig(composer="gpt")
    cfg = Config()
    with pytest.raises(ValidationError) as caught:
        cfg.retrieval.mode = "sparse"  # assignments are validated too
    assert settings_error(caught.value) == "setting retrieval.mode: must be one of dense, bm25, hybrid, not 'sparse'"
    assert cfg.retrieval.mode == "hybrid"


def test_a_misspelt_setting_is_refused():
    with pytest.raises(ValidationError) as caught:
        Config(retrieval={"kk": 3})
    assert settings_error(caught.value) == "unknown setting retrieval.kk"
    with pytest.raises(ValidationError, match="modee"):
        RetrievalConfig(modee="bm25")
    with pytest.raises(ValueError, match="kk"):
        Config().retrieval.kk = 3
    with pytest.raises(ValidationError, match="index_dirr"):
        Config(index_dirr="/tmp/x")


def test_nested_environment_variables_set_any_field(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_RETRIEVAL__MODE", "bm25")
    monkeypatch.setenv("RAG_RETRIEVAL__K", "7")
    monkeypatch.setenv("rag_answer__max_sentences", "3")  # names are not case-sensitive
    monkeypatch.setenv("RAG_HOME", str(tmp_path))
    cfg = Config()
    assert (cfg.retrieval.mode, cfg.retrieval.k, cfg.answer.max_sentences) == ("bm25", 7, 3)
    assert cfg.retrieval.candidates == 50  # the rest of the section keeps its defaults
    assert (cfg.index_dir, cfg.model_cache) == (tmp_path / "index", tmp_path / "models")
    assert Config(retrieval=RetrievalConfig(k=2)).retrieval.mode == "hybrid"  # given in code beats the environment
    monkeypatch.setenv("RAG_RETRIEVAL__K", "ten")
    with pytest.raises(ValidationError) as caught:
        Config()
    assert settings_error(caught.value).startswith("setting retrieval.k: Input should be a valid integer")


def test_the_older_variables_still_work_below_the_nested_ones(monkeypatch):
    monkeypatch.setenv("RAG_COMPOSER", "llm")
    monkeypatch.setenv("RAG_EMBED_BACKEND", "torch")
    monkeypatch.setenv("RAG_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("RAG_LLM_MODEL", "some-model")
    monkeypatch.setenv("RAG_LLM_API_KEY", "not-a-setting")  # read where the key is sent, not here
    cfg = Config()
    assert (cfg.answer.composer, cfg.model.backend) == ("llm", "torch")
    assert (cfg.llm.base_url, cfg.llm.model) == ("http://127.0.0.1:9/v1", "some-model")
    monkeypatch.setenv("RAG_ANSWER__COMPOSER", "extractive")
    assert Config().answer.composer == "extractive"
    monkeypatch.setenv("RAG_COMPOSER", "chat")
    monkeypatch.delenv("RAG_ANSWER__COMPOSER")
    with pytest.raises(ValueError, match="not 'chat'"):
        Config()


def test_a_section_alone_reads_no_environment(monkeypatch):
    monkeypatch.setenv("RAG_EMBED_BACKEND", "torch")
    monkeypatch.setenv("RAG_MODEL__BACKEND", "torch")
    assert ModelConfig().backend == "openvino"


def test_every_setting_is_documented():
    sections = [f.annotation for f in Config.model_fields.values() if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)]
    assert RetrievalConfig in sections and AnswerConfig in sections
    undocumented = [
        f"{owner.__name__}.{name}"
        for owner in (Config, *sections)
        for name, f in owner.model_fields.items()
        if not (f.description or "").strip()
    ]
    assert undocumented == []


def test_load_copies_the_settings_instead_of_changing_them(monkeypatch, tmp_path):
    import rag.assistant as assistant_module

    monkeypatch.setattr(assistant_module, "load_index", lambda folder: SimpleNamespace(manifest=None))
    monkeypatch.setattr(assistant_module, "Embedder", lambda cfg, cache: SimpleNamespace(model_id="m", checksum="c"))
    monkeypatch.setattr(assistant_module, "check_compatible", lambda *args: None)

    class Bare(assistant_module.Assistant):
        def __init__(self, store, embedder, config):
            self.config = config

    cfg = Config(index_dir=tmp_path / "mine")
    before = deepcopy(cfg)
    loaded = Bare.load(tmp_path / "other", config=cfg)
    assert loaded.config.index_dir == tmp_path / "other"
    loaded.config.retrieval.k = 3
    assert cfg == before and cfg.retrieval.k == 10


def test_the_flags_set_the_one_settings_object(monkeypatch):
    from ui.cli import _config, build_parser

    monkeypatch.setenv("RAG_RETRIEVAL__K", "7")
    args = build_parser().parse_args(["ask", "q", "--mode", "bm25", "--composer", "llm", "--backend", "torch", "--index", "/tmp/i"])
    cfg = _config(args)
    assert (cfg.retrieval.mode, cfg.answer.composer, cfg.model.backend, cfg.index_dir) == ("bm25", "llm", "torch", Path("/tmp/i"))
    assert cfg.retrieval.k == 7  # no -k: the environment's value stands
    assert _config(build_parser().parse_args(["ask", "q", "-k", "4"])).retrieval.k == 4
    cfg = _config(build_parser().parse_args(["serve", "--port", "8000", "--share"]))
    assert (cfg.serve.host, cfg.serve.port, cfg.serve.share) == ("127.0.0.1", 8000, True)
    assert _config(build_parser().parse_args(["serve"])).serve.share is False


def test_the_cli_reports_a_bad_setting_in_one_line(monkeypatch, tmp_path, capsys):
    from ui.cli import main

    assert main(["ask", "--index", str(tmp_path), "-k", "0", "a question"]) == 2
    assert capsys.readouterr().err == "rag ask: error: setting retrieval.k: Input should be greater than 0\n"
    monkeypatch.setenv("RAG_RETRIEVAL__MODE", "sparse")
    assert main(["passages", "--index", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "rag passages: error: setting retrieval.mode: must be one of dense, bm25, hybrid, not 'sparse'\n"


@pytest.mark.slow
def test_an_endpoint_alone_does_not_switch_the_composer_and_load_copies_the_settings(bundled_index, model_cache, monkeypatch):
    from rag.assistant import Assistant

    monkeypatch.setenv("RAG_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("RAG_LLM_MODEL", "some-model")
    cfg = Config(model_cache=model_cache)
    before = deepcopy(cfg)
    assistant = Assistant.load(bundled_index, config=cfg)
    assert assistant.composer.name == "extractive"
    assert cfg == before and assistant.config.index_dir == bundled_index

    cfg.answer.composer = "llm"
    assert Assistant.load(bundled_index, config=cfg).composer.name == "llm:some-model"
