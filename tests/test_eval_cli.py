"""`rag eval` on the command line: what it checks before an index is opened (see also
tests/test_eval_feedback.py for --from-feedback)."""

from __future__ import annotations

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
