"""`rag eval` on the command line: what it checks before an index is opened (see also
tests/test_eval_feedback.py for --from-feedback)."""

from __future__ import annotations

import pytest

import eval.cli
from ui.cli import main as rag


def test_unknown_modes_are_refused_with_the_modes_that_exist(tmp_path, capsys):
    assert rag(["eval", "--index", str(tmp_path / "none"), "--compare", "bm25,sparse"]) == 2
    err = capsys.readouterr().err
    assert "--compare takes modes from dense, bm25, hybrid" in err and "Traceback" not in err


def test_judge_without_an_endpoint_is_skipped_and_the_rest_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RAG_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("RAG_LLM_MODEL", raising=False)
    assert rag(["eval", "--judge", "--index", str(tmp_path / "none"), "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert "--judge skipped: no endpoint" in captured.out
    assert "no index at" in captured.err  # the evaluation itself went on to open the index


def test_a_malformed_dataset_is_one_line_naming_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x1", "question": "Hoeveel?"\n', encoding="utf-8")  # the closing brace is missing
    assert rag(["eval", "--dataset", str(bad), "--index", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rag eval: error: {bad}:1: not valid JSON") and "Traceback" not in err


def test_a_bare_value_error_is_a_bug_and_keeps_its_stack_trace(tmp_path, monkeypatch):
    def broken(args, console):
        raise ValueError("operands could not be broadcast together with shapes (3,) (4,)")

    monkeypatch.setattr(eval.cli, "_from_feedback", broken)
    with pytest.raises(ValueError, match="broadcast"):
        rag(["eval", "--from-feedback", str(tmp_path / "f.jsonl"), "--out-dataset", str(tmp_path / "d.jsonl")])


def test_ask_refuses_a_date_that_is_not_yyyy_mm_dd(capsys):
    with pytest.raises(SystemExit) as stop:
        rag(["ask", "--from", "11-01-2021", "Wat doet Nederland aan terugkeer?"])
    assert stop.value.code == 2
    assert "'11-01-2021' is not a date in the form yyyy-mm-dd" in capsys.readouterr().err
