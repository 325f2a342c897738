"""Embedding backends: every backend offered gives torch fp32's vectors, and a missing one falls back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.backends import BACKENDS, BackendUnavailable, TorchBackend, export_dir, load_backend
from index.config import Config, ModelConfig, bundled_letters_dir

FAITHFUL = 0.999  # the issue asks 0.99; backends share the index checksum, so they are held to more


def test_backend_setting_is_validated(monkeypatch):
    monkeypatch.delenv("RAG_EMBED_BACKEND", raising=False)
    assert Config().model.backend == "openvino"
    assert ModelConfig(backend="torch").backend == "torch"
    with pytest.raises(ValueError, match="backend\n.*must be one of openvino, torch, not 'onnx'"):
        ModelConfig(backend="onnx")
    monkeypatch.setenv("RAG_EMBED_BACKEND", "torch")
    assert Config().model.backend == "torch"
    assert ModelConfig().backend == "openvino"  # a section alone reads no environment
    with pytest.raises(ValueError, match="unknown embedding backend"):
        load_backend("tensorrt", object(), "m", "0" * 64, Path("."), 32)
    assert set(BACKENDS) == {"openvino", "torch"}


def test_export_folder_is_keyed_by_checkpoint_checksum(tmp_path):
    a = export_dir(tmp_path, "/models/multilingual-e5-small-abc", "1" * 64)
    b = export_dir(tmp_path, "/models/multilingual-e5-small-abc", "2" * 64)
    assert a != b and a.parent == tmp_path and "openvino" in a.name
    assert "/" not in export_dir(tmp_path, "intfloat/some model", "3" * 64).name


class _NotExportable:
    """A sentence-transformers-like model the exporter must refuse (no transformer + mean pooling)."""

    def __iter__(self):
        return iter([object()])

    def encode(self, texts, **kwargs):
        return np.ones((len(texts), 4), np.float32) / 2


def test_unavailable_backend_falls_back_to_torch_with_one_line(tmp_path, capsys):
    backend = load_backend("openvino", _NotExportable(), "m", "0" * 64, tmp_path, 32)
    assert isinstance(backend, TorchBackend)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "openvino" in err[0] and "using torch" in err[0]
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_missing_openvino_package_falls_back(tmp_path, capsys, monkeypatch):
    import sys

    import index.backends as backends

    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino -> ImportError
    monkeypatch.setattr(backends, "_check_exportable", lambda model: None)
    backend = load_backend("openvino", _NotExportable(), "m", "0" * 64, tmp_path, 32)
    assert isinstance(backend, TorchBackend)
    assert "package 'openvino' is not installed" in capsys.readouterr().err


# --- with the real model -------------------------------------------------------------------------


def _letter_sentences(n: int) -> list[str]:
    """Real Dutch sentences of the bundled letters, spread over every letter, short and long."""
    from index.letters import load_letters
    from index.sentences import sentence_spans

    letters, _ = load_letters([bundled_letters_dir()])
    out: list[str] = []
    for letter in letters:
        spans = [letter.text[s:e].strip() for s, e in sentence_spans(letter.text)]
        spans = [s for s in spans if 20 <= len(s) <= 600]
        out += spans[:: max(1, len(spans) // (n // len(letters) + 1))][: n // len(letters) + 1]
    return out[:n]


def _english_questions() -> list[str]:
    import eval as eval_pkg

    path = Path(eval_pkg.__file__).parent / "data" / "dev.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [i["question"] for i in items if i.get("language") == "en"]


@pytest.fixture(scope="module")
def torch_embedder(model_cache, embedder):
    from index.embedding import Embedder

    return Embedder(ModelConfig(backend="torch"), model_cache)


@pytest.fixture(scope="module")
def openvino_embedder(model_cache, embedder):
    pytest.importorskip("openvino")
    from index.embedding import Embedder

    e = Embedder(ModelConfig(backend="openvino"), model_cache)
    assert e.backend.name == "openvino", "openvino is installed but did not load"
    return e


def _cosines(a, b):
    return (a * b).sum(axis=1)


@pytest.mark.slow
def test_default_backend_is_openvino_with_the_same_checksum(embedder, openvino_embedder, torch_embedder):
    if Config().model.backend == "openvino":
        assert embedder.backend.name == "openvino"
    assert torch_embedder.backend_name == "torch-f32"
    assert openvino_embedder.checksum == torch_embedder.checksum
    assert openvino_embedder.model_id == torch_embedder.model_id
    assert openvino_embedder.dim == torch_embedder.dim


@pytest.mark.slow
def test_openvino_is_faithful_on_dutch_and_english_text(openvino_embedder, torch_embedder):
    from index.chunking import chunk_letter
    from index.config import ChunkConfig
    from index.letters import load_letters

    dutch = _letter_sentences(60)
    english = _english_questions()
    letters, _ = load_letters([bundled_letters_dir()])
    passages = [p.embedding_text() for letter in letters[:2] for p in chunk_letter(letter, ChunkConfig())]
    overlong = " ".join(passages[1:8])  # past the 512-token window: both must truncate alike
    assert len(dutch) >= 50 and len(english) >= 20
    words = ["kinderen", "inkomen", "terugkeer", "asielzoekers", "children", "income"]
    for name, texts, encode in [
        ("dutch passages", dutch + passages + [overlong], "encode_passages"),
        ("english queries", english, "encode_queries"),
        ("dutch queries", dutch[:20], "encode_queries"),
        ("words", words, "encode_words"),
    ]:
        ov = getattr(openvino_embedder, encode)(texts)
        ref = getattr(torch_embedder, encode)(texts)
        cos = _cosines(ov, ref)
        assert cos.min() >= FAITHFUL, (name, float(cos.min()), texts[int(cos.argmin())][:80])
        assert np.allclose(np.linalg.norm(ov, axis=1), 1, atol=1e-4)
    assert openvino_embedder.token_count(overlong) > 512


@pytest.mark.slow
def test_openvino_vector_depends_on_the_text_alone(openvino_embedder):
    """Incremental index builds reuse vectors: a text's vector must not depend on its batch-mates
    (at bf16 a padded batch would move it by ~1e-3), nor on latency vs throughput mode."""
    texts = _letter_sentences(40)
    together = openvino_embedder.encode_passages(texts)
    reordered = openvino_embedder.encode_passages(texts[::-1] + ["Ook andere landen. " * 60])[: len(texts)][::-1]
    alone = np.stack([openvino_embedder.encode_passages([t])[0] for t in texts[:8]])  # the latency model
    np.testing.assert_allclose(together, reordered, atol=1e-6)
    np.testing.assert_allclose(together[:8], alone, atol=1e-6)


@pytest.mark.slow
def test_export_is_written_once_atomically(openvino_embedder, model_cache):
    from index.backends import ensure_openvino_export

    folder = openvino_embedder.backend.ir_dir
    assert folder.parent == model_cache and (folder / "model.xml").is_file()
    meta = json.loads((folder / "export.json").read_text())
    assert meta["checksum"] == openvino_embedder.checksum and meta["inputs"][:2] == ["input_ids", "attention_mask"]
    assert not (folder / "model.onnx").exists()
    mtime = (folder / "model.bin").stat().st_mtime_ns
    model = openvino_embedder.model
    assert ensure_openvino_export(model, openvino_embedder.path, openvino_embedder.checksum, model_cache) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == mtime
    assert not list(model_cache.glob(".exporting-*"))


@pytest.mark.slow
def test_openvino_backend_is_thread_safe(openvino_embedder, torch_embedder):
    from concurrent.futures import ThreadPoolExecutor

    texts = _letter_sentences(16)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda t: openvino_embedder.encode_queries([t])[0], texts))
    ref = torch_embedder.encode_queries(texts)
    assert _cosines(np.stack(got), ref).min() >= FAITHFUL


_FIRST_INFERENCES_AT_ONCE = """
import sys, threading
from pathlib import Path
from index.config import ModelConfig
from index.embedding import Embedder

e = Embedder(ModelConfig(backend="openvino"), Path(sys.argv[1]))
texts = sys.argv[2:]
start = threading.Barrier(len(texts))
def ask(text):
    start.wait()
    e.encode_queries([text])
threads = [threading.Thread(target=ask, args=(t,)) for t in texts]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


def test_first_questions_answered_at_once_do_not_deadlock(openvino_embedder, model_cache):
    # The chat window's first questions after start-up arrive together. OpenVINO's first
    # inference in a process (pybind11 setting up its numpy bindings) deadlocked when two threads
    # made it at once, so only a fresh process, whose first inferences come from eight threads
    # released together, can show it. A deadlocked thread holds the GIL, so the whole process
    # stops: the timeout is the detector. Without the fix about one run in three hung; three runs.
    import subprocess
    import sys

    texts = [f"Hoeveel {w} vangt Turkije op?" for w in ("Syriërs", "vluchtelingen", "migranten", "mensen",
                                                         "Afghanen", "kinderen", "asielzoekers", "gezinnen")]
    for attempt in range(3):
        try:
            run = subprocess.run([sys.executable, "-c", _FIRST_INFERENCES_AT_ONCE, str(model_cache), *texts],
                                 capture_output=True, text=True, timeout=150)
        except subprocess.TimeoutExpired:
            pytest.fail(f"run {attempt + 1}: eight first questions at once deadlocked the process")
        assert run.returncode == 0, run.stderr[-500:]


@pytest.mark.slow
def test_question_clauses_embedded_together_are_those_embedded_alone(openvino_embedder, monkeypatch):
    # A compound question of the dev split and its clauses, as the composer embeds them.
    texts = ["Hoeveel Syriërs vangt Turkije op, en hoeveel geld gaat er via de FRIT naar Turkije?",
             "Hoeveel Syriërs vangt Turkije op", "en hoeveel geld gaat er via de FRIT naar Turkije?"]
    e = openvino_embedder
    e.clear_query_cache()
    alone = [e.encode_queries([t])[0] for t in texts]
    calls = []
    monkeypatch.setattr(e, "encode_queries", lambda batch, real=e.encode_queries: calls.append(list(batch)) or real(batch))
    together = e.encode_query_batch(texts + texts[:1])
    assert calls == [texts]  # one call, each text once
    assert all(np.array_equal(a, b) for a, b in zip(alone + alone[:1], together))  # the same vectors, to the bit
    assert np.array_equal(e.encode_query(texts[2]), alone[2]) and calls == [texts]  # cached: not embedded again
    e.clear_query_cache()
    e.encode_query(texts[2])
    assert calls == [texts, texts[2:]]


def test_unexportable_model_is_refused():
    from index.backends import _check_exportable

    with pytest.raises(BackendUnavailable):
        _check_exportable(_NotExportable())


# 003_* (the BZ migration report): the second sentence names the package, the first what it is for.
EGYPT = (
    "• Eind 2023 is er op EU-niveau intensiever gewerkt in aanloop naar het strategisch partnerschap tussen de EU en "
    "Egypte, dat op 17 maart 2024 bekrachtigd is.",
    "Het partnerschap bevat een steunpakket van EUR 7,4 miljard en loopt tot eind 2027.",
)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["openvino", "torch"])
def test_a_sentence_in_context_carries_what_its_passage_says_around_it(backend, openvino_embedder, torch_embedder):
    embedder = openvino_embedder if backend == "openvino" else torch_embedder
    text = " ".join(EGYPT)
    spans = [(0, len(EGYPT[0])), (len(EGYPT[0]) + 1, len(text))]
    vectors, contexts = embedder.encode_passages_in_context([text, "Kort."], [spans, [(0, 5)]])
    np.testing.assert_allclose(vectors, embedder.encode_passages([text, "Kort."]), atol=1e-5)  # the same forward pass
    assert contexts[0].shape == (2, embedder.dim) and contexts[1].shape == (1, embedder.dim)
    alone_in_call = embedder.encode_passages_in_context([text], [spans])[1][0]  # OpenVINO's latency model
    np.testing.assert_allclose(alone_in_call, contexts[0], atol=1e-5)
    assert np.allclose(np.linalg.norm(contexts[0], axis=1), 1, atol=1e-4)
    alone = embedder.encode_passages([EGYPT[1]])[0]
    for question in ("Hoe groot is het steunpakket voor Egypte?", "How large is the support package for Egypt?"):
        query = embedder.encode_query(question)
        assert contexts[0][1] @ query > alone @ query + 0.02  # "Egypte" stands only in the sentence before


@pytest.mark.slow
def test_context_vectors_agree_across_backends_and_a_span_past_the_window_gets_none(openvino_embedder, torch_embedder):
    text = " ".join(EGYPT)
    spans = [(0, len(EGYPT[0])), (len(EGYPT[0]) + 1, len(text))]
    overlong = text + " Ook andere landen." * 200  # past the 512-token window
    spans_overlong = [*spans, (len(overlong) - 19, len(overlong))]
    _, ov = openvino_embedder.encode_passages_in_context([text, overlong], [spans, spans_overlong])
    _, ref = torch_embedder.encode_passages_in_context([text, overlong], [spans, spans_overlong])
    assert _cosines(ov[0], ref[0]).min() >= FAITHFUL
    assert not ov[1][2].any() and not ref[1][2].any()  # cut off: the build gives it its own vector instead
