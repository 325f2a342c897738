"""Feedback from the app becomes draft evaluation items that the dataset loader accepts."""

from __future__ import annotations

import json

import pytest
from helpers import letter_path

from eval.dataset import load_dataset
from eval.feedback import NO_EVIDENCE, FeedbackError, items_from_feedback, review_path, write_items
from eval.matching import contains
from index.models import Letter, Passage
from rag.types import Answer, Citation, Source
from ui.cli import main as rag
from ui.feedback import record_feedback

LETTER_004 = "004_e0a75123764b20dc"
LETTER_002 = "002_a839b2a079380475"
# Verbatim (line breaks as spaces) from the letters named above.
ESSN = (
    "Zo wordt vanuit de FRIT door middel van het Emergency Social Safety Net (ESSN) maandelijks "
    "financiële ondersteuning geboden aan 1.7 miljoen vluchtelingen om in de dagelijkse behoeftes te voorzien."
)
TERUGDRINGEN = "Dit kabinet wil irreguliere migratie naar Nederland en Europa terugdringen."


def _answer(question: str, cited: list[tuple[str, str]], abstained: bool = False) -> dict:
    citations, sources, text = [], [], []
    for n, (letter_id, sentence) in enumerate(cited, 1):
        letter = Letter(id=letter_id, source=f"{letter_id}.txt", text=sentence)
        passage = Passage(id=f"{letter_id}#0", letter=letter_id, text=sentence, start=0, end=len(sentence))
        sources.append(Source(rank=n, score=1.0, passage=passage, letter=letter))
        citations.append(Citation(n=n, source=sources[-1], sentences=[sentence], spans=[(0, len(sentence))]))
        text.append(f"{sentence} [{n}]")
    answer_text = "De brieven geven hierover geen antwoord." if abstained else " ".join(text)
    return Answer(question, answer_text, citations, sources, abstained, {"total": 1.0}).to_dict()


def test_ratings_become_drafts_the_loader_accepts_and_items_to_review(tmp_path):
    log = tmp_path / "feedback.jsonl"
    single = "Hoeveel vluchtelingen krijgen maandelijks steun via het ESSN?"
    multi = "Wat wil het kabinet met irreguliere migratie, en hoe helpt de FRIT vluchtelingen?"
    record_feedback(log, _answer(single, [(LETTER_004, ESSN)]), "up")
    record_feedback(log, _answer(multi, [(LETTER_002, TERUGDRINGEN), (LETTER_004, ESSN)]), "up")
    record_feedback(log, _answer("Wat kost de Marokkaanse terugkeerregeling?", [], abstained=True), "up")
    record_feedback(log, _answer("Welke landen noemt de brief?", [(LETTER_004, ESSN)]), "down", "noemt geen landen")

    drafts, reviews = items_from_feedback(log)
    written = write_items(tmp_path / "new.jsonl", drafts, reviews)
    assert written == [tmp_path / "new.jsonl", tmp_path / "new.review.jsonl"]

    items = {item.question: item for item in load_dataset(tmp_path / "new.jsonl")}
    assert set(items) == {single, multi, "Wat kost de Marokkaanse terugkeerregeling?"}
    number = items[single]
    assert (number.type, number.language, number.answerable) == ("number", "nl", True)
    assert "[1]" not in number.answer and "1.7 miljoen" in number.answer
    # The evidence is the cited sentence, and it is found verbatim in the real letter.
    assert [e.letter for e in number.evidence] == [LETTER_004]
    assert contains(letter_path("004").read_text(encoding="utf-8"), number.evidence[0].text)
    assert items[multi].type == "multi" and {e.letter for e in items[multi].evidence} == {LETTER_002, LETTER_004}
    assert contains(letter_path("002").read_text(encoding="utf-8"), items[multi].evidence[0].text)
    unanswerable = items["Wat kost de Marokkaanse terugkeerregeling?"]
    assert (unanswerable.type, unanswerable.answerable, unanswerable.evidence) == ("unanswerable", False, [])

    (review,) = [json.loads(line) for line in review_path(tmp_path / "new.jsonl").read_text().splitlines()]
    assert review["needs_review"] is True
    assert review["comment"] == "noemt geen landen"
    assert review["question"] == "Welke landen noemt de brief?"


def test_a_re_rating_supersedes_and_the_last_rating_of_a_question_wins(tmp_path):
    log = tmp_path / "feedback.jsonl"
    question = "Hoeveel vluchtelingen krijgen maandelijks steun via het ESSN?"
    answer = _answer(question, [(LETTER_004, ESSN)])
    record_feedback(log, answer, "down", feedback_id="r1")
    record_feedback(log, answer, "up", "toch goed", feedback_id="r1")  # the app rewrites a rating with its comment
    drafts, reviews = items_from_feedback(log)
    assert [d["question"] for d in drafts] == [question] and reviews == []
    record_feedback(log, answer, "down", "bron klopt niet", feedback_id="r2")  # a later rating of the same question
    drafts, reviews = items_from_feedback(log)
    assert drafts == [] and [r["comment"] for r in reviews] == ["bron klopt niet"]


def test_an_approved_answer_without_cited_sentences_goes_to_review(tmp_path):
    log = tmp_path / "feedback.jsonl"
    answer = _answer("Wat doet de FRIT?", [(LETTER_004, ESSN)])
    answer["citations"][0]["sentences"] = []
    record_feedback(log, answer, "up", "goed antwoord")
    drafts, (review,) = items_from_feedback(log)
    assert drafts == [] and review["comment"] == f"{NO_EVIDENCE} goed antwoord"


def test_a_malformed_line_is_reported_with_file_and_line(tmp_path):
    log = tmp_path / "feedback.jsonl"
    record_feedback(log, _answer("Wat doet de FRIT?", [(LETTER_004, ESSN)]), "up")
    with log.open("a", encoding="utf-8") as fh:
        fh.write('{"question": "Wat?", "answer": "x", "verdict": "maybe"}\n')
    with pytest.raises(FeedbackError, match=r"feedback.jsonl:2: .*verdict must be 'up' or 'down'"):
        items_from_feedback(log)


def test_rag_eval_from_feedback_writes_a_loadable_dataset(tmp_path, capsys):
    log = tmp_path / "feedback.jsonl"
    record_feedback(log, _answer("Hoeveel vluchtelingen krijgen steun via het ESSN?", [(LETTER_004, ESSN)]), "up")
    new = tmp_path / "drafts" / "new.jsonl"
    assert rag(["eval", "--from-feedback", str(log), "--out-dataset", str(new)]) == 0
    assert "1 draft item(s), 0 to review" in capsys.readouterr().out
    assert [item.type for item in load_dataset(new)] == ["number"]
    assert rag(["eval", "--from-feedback", str(log)]) == 2
    assert "--from-feedback needs --out-dataset" in capsys.readouterr().err
