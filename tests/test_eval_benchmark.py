"""External benchmarks (`rag eval --benchmark DIR`) and the plain baseline, on folders of real letters."""

from __future__ import annotations

import json
import shutil

import pytest

from eval.benchmark import BenchmarkError, BenchmarkQuestion, document_row, load_questions, ranked_documents
from index.config import bundled_letters_dir
from index.models import Letter, Passage
from rag.types import Source

LETTER_FILES = {p.stem[:3]: p for p in bundled_letters_dir().glob("*.txt")}
# Questions whose answer stands in one letter only: EUR 6 miljard (000), the WODC date (004), the motie (000).
QUESTIONS = [
    {"id": "frit", "question": "Hoeveel geld gaat er via de FRIT naar Turkije?", "doc": LETTER_FILES["000"].stem},
    {"id": "lvv", "question": "Wanneer levert het WODC de tussentijdse effectevaluatie van de LVV-pilots op?", "doc": LETTER_FILES["004"].stem},
    {"id": "becker", "question": "Welke motie van het lid Becker vraagt om een overzicht van migratieovereenkomsten?", "docs": [LETTER_FILES["000"].stem]},
]


@pytest.fixture()
def bench_folder(tmp_path):
    folder = tmp_path / "bench"
    (folder / "docs").mkdir(parents=True)
    for prefix in ("000", "003", "004"):
        shutil.copy(LETTER_FILES[prefix], folder / "docs")
    (folder / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n", encoding="utf-8")
    return folder


def _source(rank: int, letter: str, aliases=()) -> Source:
    passage = Passage(id=f"{letter}#{rank}", letter=letter, text="…", start=0, end=1)
    return Source(rank=rank, score=1.0 / rank, passage=passage, letter=Letter(id=letter, source="", text="…", aliases=list(aliases)))


def test_questions_load_with_doc_or_docs(bench_folder):
    questions = load_questions(bench_folder)
    assert [q.id for q in questions] == ["frit", "lvv", "becker"]
    assert questions[2].docs == frozenset({LETTER_FILES["000"].stem})


@pytest.mark.parametrize(
    ("line", "message"),
    [("{not json", "questions.jsonl:4: expected"), ('{"id": "x", "question": "Waar?", "doc": "nope"}', "not in docs/: ['nope']")],
)
def test_a_bad_question_line_is_named(bench_folder, line, message):
    with open(bench_folder / "questions.jsonl", "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    with pytest.raises(BenchmarkError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_questions(bench_folder)


def test_a_folder_without_docs_is_refused(tmp_path):
    with pytest.raises(BenchmarkError, match="needs docs/ and questions.jsonl"):
        load_questions(tmp_path)


def test_documents_are_ranked_once_each_with_their_aliases():
    sources = [_source(1, "b"), _source(2, "b"), _source(3, "a", aliases=["a2"]), _source(4, "c")]
    assert ranked_documents(sources) == [{"b"}, {"a", "a2"}, {"c"}]
    assert ranked_documents(sources, depth=2) == [{"b"}, {"a", "a2"}]


def test_a_document_row_scores_the_first_relevant_document():
    question = BenchmarkQuestion("q", "Wat is de FRIT?", frozenset({"a2"}))
    row = document_row(question, [{"b"}, {"a", "a2"}, {"c"}], {"retrieve": 3.0})
    assert row["first_relevant_rank"] == 2
    assert row["metrics"]["hit@1"] == 0.0 and row["metrics"]["hit@3"] == 1.0 and row["metrics"]["mrr@10"] == 0.5


@pytest.mark.slow
def test_rag_eval_benchmark_indexes_once_and_reports(bench_folder, tmp_path, rag_home, monkeypatch, capsys):
    from ui.cli import main as rag

    monkeypatch.setenv("RAG_HOME", str(rag_home))
    out = tmp_path / "out"
    assert rag(["eval", "--benchmark", str(bench_folder), "--out", str(out)]) == 0
    assert "Indexing the documents of" in capsys.readouterr().out
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["overall"]["n"] == 3
    assert {row["id"]: row["first_relevant_rank"] for row in report["items"]} == {"frit": 1, "lvv": 1, "becker": 1}
    assert (out / "report.md").is_file() and (out / "first_relevant_rank.png").is_file()

    assert rag(["eval", "--benchmark", str(bench_folder), "--out", str(out), "--compare", "bm25,dense"]) == 0
    assert "Indexing the documents of" not in capsys.readouterr().out  # the cached index is reused
    assert (out / "compare.md").is_file()

    # A cache written by an older version of the program (another store format) is rebuilt, not an error.
    from eval.benchmark import index_dir_for

    cache = index_dir_for(bench_folder)
    manifest_path = cache / (cache / "CURRENT").read_text(encoding="utf-8").strip() / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "format_version": manifest["format_version"] - 1}), encoding="utf-8")
    assert rag(["eval", "--benchmark", str(bench_folder), "--out", str(out)]) == 0
    assert "Indexing the documents of" in capsys.readouterr().out


@pytest.mark.slow
def test_plain_baseline_chunks_raw_text_and_finds_a_quoted_sentence(embedder):
    from benchmarks.baseline import CHUNK_CHARS, PlainPipeline

    plain = PlainPipeline([LETTER_FILES["002"], LETTER_FILES["004"]], embedder)
    assert {c.doc for c in plain.chunks} == {LETTER_FILES["002"].stem, LETTER_FILES["004"].stem}
    assert all(len(c.text) <= CHUNK_CHARS for c in plain.chunks)
    question = "Wanneer levert het WODC een tussentijdse effectevaluatie op?"
    for mode in ("dense", "bm25"):
        best = plain.chunks[plain.rank(question, mode, 5)[0]]
        assert best.doc == LETTER_FILES["004"].stem and "tussentijdse effectevaluatie" in best.text, mode
