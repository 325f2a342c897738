"""Regression gate: the fast subset of the evaluation set must stay at or above eval/floors.json."""

from __future__ import annotations

import pytest

from eval.dataset import LANGUAGES, TYPES, load_dataset
from eval.gate import fast_subset, gate_failures, load_floors
from eval.run import run_eval
from index.build import build_index
from rag.assistant import Assistant


def test_the_fast_subset_covers_every_type_and_both_languages():
    items = fast_subset(load_dataset(), load_floors())
    assert {item.type for item in items} == set(TYPES)
    assert {item.language for item in items} == set(LANGUAGES)
    assert 25 <= len(items) <= 35


def test_gate_failures_name_each_metric_below_its_floor_or_above_its_ceiling():
    floors = {"fast_subset": [], "floors": {"hit@5": 0.8, "groundedness": 0.9}, "ceilings": {"answerable_declined": 0.1}}
    assert gate_failures({"hit@5": 0.8, "groundedness": 0.95, "answerable_declined": 0.1}, floors) == []
    failures = gate_failures({"hit@5": 0.79, "groundedness": None, "answerable_declined": 0.2}, floors)
    assert [f.split(" ")[0] for f in failures] == ["hit@5", "groundedness", "answerable_declined"]


@pytest.mark.slow
def test_the_fast_subset_stays_at_or_above_its_floors(config, embedder):
    build_index(None, config, embedder=embedder)
    assistant = Assistant.load(config=config)
    floors = load_floors()
    report = run_eval(assistant, fast_subset(load_dataset(), floors), progress=False)
    assert gate_failures(report.overall, floors) == []
    assert report.overall["other_documents"] == 0.0  # an index of the evaluated letters alone


def test_a_set_of_only_unanswerable_questions_counts_no_answer_as_drawn_from_elsewhere(assistant):
    # Near misses the composer answers rather than declines: they have citations to count.
    unanswerable = [item for item in load_dataset() if item.id in ("q155", "q157", "q162")]
    report = run_eval(assistant, unanswerable, progress=False)
    assert len(unanswerable) == 3 and not all(row["abstained"] for row in report.items)
    assert report.overall.get("other_documents") is None  # it names no letters to tell others from
