"""Report files of an evaluation run and of a comparison of retrieval modes."""

from __future__ import annotations

import json

from rich.console import Console

from eval.report import compare_table, summary_table, worst_items, write_compare, write_report
from eval.run import Report

PNG = b"\x89PNG\r\n\x1a\n"


def _row(item_id, type_, language, rank, abstained=False, answerable=True, total=50.0):
    metrics = {}
    if answerable:
        metrics = {"hit@1": float(rank == 1), "hit@5": float(rank is not None and rank <= 5),
                   "mrr@10": 1 / rank if rank else 0.0, "key_fact_accuracy": 0.0 if rank is None else 1.0,
                   "key_fact_recall": 0.0 if rank is None else 1.0, "citation_precision": 1.0}
    if not abstained:
        metrics["groundedness"] = 1.0
    return {"id": item_id, "type": type_, "language": language, "answerable": answerable, "question": "q",
            "reference": "r", "answer": "a", "abstained": abstained, "first_relevant_rank": rank,
            "n_relevant": 1 if answerable else 0, "retrieved": [], "citations": [],
            "missing_key_facts": ["EUR 6 miljard"] if answerable and rank is None else [], "missing_letters": [],
            "unsupported_sentences": [], "metrics": metrics,
            "timings": {"retrieve": total * 0.8, "compose": total * 0.2, "total": total}}


def _report(mode: str) -> Report:
    rows = [
        _row("q001", "fact", "nl", 1),
        _row("q002", "number", "nl", None),
        _row("q003", "number", "en", 4, total=90.0),
        _row("q004", "unanswerable", "en", None, abstained=False, answerable=False),
        _row("q005", "unanswerable", "nl", None, abstained=True, answerable=False),
    ]
    return Report.from_rows(rows, mode=mode, k=10, composer="extractive", index="/tmp/index", judge=None)


def test_a_run_writes_json_markdown_and_plots(tmp_path):
    report = _report("hybrid")
    files = write_report(report, tmp_path)
    assert {f.name for f in files} == {"report.json", "report.md", "metrics_by_type.png", "first_relevant_rank.png", "latency.png"}
    assert all(f.read_bytes().startswith(PNG) for f in files if f.suffix == ".png")
    data = json.loads((tmp_path / "report.json").read_text())
    assert [r["id"] for r in data["items"]] == ["q001", "q002", "q003", "q004", "q005"]
    assert data["by_language"]["en"]["n"] == 2 and data["overall"]["abstention_recall"] == 0.5
    md = (tmp_path / "report.md").read_text()
    for section in ("## Overall", "## By question type", "## By language", "## Latency (ms)", "## Worst items"):
        assert section in md
    # The missed number question and the answered unanswerable one are the worst; q001 did not fail.
    assert [r["id"] for r in worst_items(report)][:2] == ["q002", "q004"]
    assert "q001" not in [r["id"] for r in worst_items(report)]
    assert "no relevant passage in top 10; key facts missing: EUR 6 miljard" in md
    assert "answered an unanswerable question" in md


def test_a_comparison_writes_one_table_and_one_plot(tmp_path):
    reports = [_report("bm25"), _report("dense")]
    files = write_compare(reports, tmp_path)
    assert [f.name for f in files] == ["compare.json", "compare.md", "compare.png"]
    assert set(json.loads((tmp_path / "compare.json").read_text())) == {"bm25", "dense"}
    assert "| metric | bm25 | dense |" in (tmp_path / "compare.md").read_text()
    console = Console(record=True, width=200)
    console.print(compare_table(reports))
    console.print(summary_table(reports[0]))
    text = console.export_text()
    assert "bm25" in text and "overall" in text and "unanswerable" in text


def test_answers_drawn_from_other_documents_are_counted_in_the_summary_and_worst_items(tmp_path):
    rows = [_row("q001", "fact", "nl", 1), _row("q002", "fact", "nl", 2), _row("q003", "number", "nl", 1)]
    rows[0]["metrics"]["other_documents"] = 0.0
    rows[1]["metrics"]["other_documents"] = 1.0  # e.g. a regulation quoted for a question about a letter
    report = Report.from_rows(rows, mode="hybrid", k=10, composer="extractive", index="/tmp/index", judge=None)
    assert report.overall["other_documents"] == 0.5  # of the two answers that were checked
    console = Console(record=True, width=200)
    console.print(summary_table(report))
    assert "answers quoting half or more of their sentences from other documents: 1 of 2" in console.export_text()
    write_report(report, tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "from other docs" in md and "quotes documents outside the evaluated letters" in md
    console = Console(record=True, width=200)
    console.print(summary_table(_report("hybrid")))
    assert "other documents" not in console.export_text()  # nothing to say on the letters alone
