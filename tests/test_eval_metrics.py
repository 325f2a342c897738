"""Evaluation metrics on real fragments of the bundled letters (tests/fragments.py)."""

from __future__ import annotations

import math
import re

import pytest
from fragments import FRIT, KHARTOEM, OVERKOEPELEND, TURKIJE, letter_000, letter_004
from helpers import letter_path

from eval.dataset import EvalItem, Evidence
from eval.matching import contains
from eval.metrics import (
    abstention_scores,
    answer_claims,
    breakdown,
    check_claims,
    groundedness,
    hit_at,
    is_relevant,
    key_facts_found,
    mrr_at,
    ndcg_at,
    needed_letters,
    span_in_passage,
    summarize,
)
from eval.run import score_item
from index.chunking import chunk_letter
from index.config import ChunkConfig
from index.models import Letter
from rag.support import split_sentences
from rag.types import Answer, Citation, Source

ID_000, ID_001, ID_004 = "000_6f008f4da8a68f2b", "001_17c0af6e84908666", "004_e0a75123764b20dc"


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


# ----------------------------------------------------------------------------- relevance
def test_evidence_matches_the_raw_pdf_extraction_with_its_line_breaks_and_hyphenation():
    raw = letter_path("004").read_text(encoding="utf-8")
    passage = raw[raw.index("Alvorens de inzet") : raw.index("binnen de EU.") + len("binnen de EU.")]
    assert "asiel- en \nmigratiesysteem" in passage and "\n" in passage
    assert span_in_passage(OVERKOEPELEND, passage)


def test_evidence_copied_with_the_pdf_s_accent_slips_matches_the_cleaned_text():
    raw = letter_path("003").read_text(encoding="utf-8")
    line = raw[raw.index("2014-2023 73% uit vijf landen") :].split("\n")[0]
    assert "Syrié (6,4 miljoen)" in line  # the extraction's "é" for "ë"
    cleaned = line.replace("Syrié", "Syrië")  # as index/cleaning.py repairs it
    assert not contains(cleaned, line) and span_in_passage(line, cleaned)


def test_a_span_cut_by_a_chunk_boundary_counts_where_most_of_it_or_its_longest_sentence_is():
    first, second, third, fourth = split_sentences(KHARTOEM)
    assert words(first) == max(map(words, (first, second, third, fourth)))  # the longest sentence
    other = FRIT  # the next paragraph of the same letter, longer than any part of the span below
    # The last three sentences: over 60 % of the span in one unbroken run, yet under 60 % of the passage.
    assert words(second + third + fourth) >= 0.6 * words(KHARTOEM)
    assert words(second + third + fourth) < 0.6 * words(f"{other} {second} {third} {fourth}")
    assert span_in_passage(KHARTOEM, f"{other} {second} {third} {fourth}")
    # Only the first sentence: a third of the span, but its longest sentence whole.
    assert span_in_passage(KHARTOEM, f"{first} {other}")
    # The last two sentences: under 60 % of the span and of the passage, longest sentence absent.
    assert words(third + fourth) < 0.6 * words(KHARTOEM)
    assert not span_in_passage(KHARTOEM, f"{third} {fourth} {other}")


def test_passages_inside_a_span_longer_than_a_chunk_are_relevant():
    letter = letter_000()
    passages = chunk_letter(letter, ChunkConfig())
    holding = [p for p in passages if p.heading == "De Oostelijke route" and p.kind == "body"]
    assert len(holding) >= 2 and not any(contains(p.text, TURKIJE) for p in passages)  # the span is cut
    assert all(span_in_passage(TURKIJE, p.text) for p in holding)
    assert not any(span_in_passage(TURKIJE, p.text) for p in passages if p not in holding)


def test_short_spans_must_occur_whole_and_a_paraphrase_elsewhere_does_not_count():
    assert not span_in_passage("1.7 miljoen vluchtelingen om in de dagelijkse behoeftes te voorzien", "aan 1.7 miljoen vluchtelingen")
    # Letter 000 reports the same ESSN support in other words than letter 004's span.
    assert "1.7 miljoen vluchtelingen" in TURKIJE and not span_in_passage(FRIT, TURKIJE)


def test_relevance_needs_the_evidence_letter_or_one_of_its_aliases():
    evidence = [Evidence(ID_000, TURKIJE)]
    assert is_relevant(TURKIJE, {ID_000}, evidence)
    assert not is_relevant(TURKIJE, {ID_004}, evidence)  # same words in another letter
    assert is_relevant(TURKIJE, {ID_001, ID_000}, evidence)  # 000 was merged into 001 as a duplicate
    letters = {ID_001: {ID_001, ID_000}, ID_004: {ID_004}}
    assert needed_letters([Evidence(ID_000, TURKIJE), Evidence(ID_001, FRIT)], letters) == {ID_001}
    assert needed_letters([Evidence(ID_000, TURKIJE), Evidence(ID_004, FRIT)], letters) == {ID_001, ID_004}


# ----------------------------------------------------------------------------- retrieval
def test_ranked_metrics_follow_their_definitions():
    ranking = [False, True, False, True] + [False] * 6
    assert [hit_at(ranking, k) for k in (1, 3, 5, 10)] == [0.0, 1.0, 1.0, 1.0]
    assert mrr_at(ranking) == 0.5
    # Three relevant passages in the index, two retrieved at ranks 2 and 4.
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(ranking, 3) == pytest.approx(dcg / ideal)
    assert ndcg_at([True, False], 1) == 1.0
    assert mrr_at([False] * 10 + [True]) == 0.0 and ndcg_at([False] * 10 + [True], 1) == 0.0  # beyond 10


# ------------------------------------------------------------------------------- answers
def test_key_facts_are_case_and_space_tolerant_but_numbers_stay_as_written():
    answer = "Via het emergency social safety net krijgen 1.7\u00a0miljoen vluchtelingen  maandelijks steun [1]."
    assert key_facts_found(answer, ["Emergency Social Safety Net", "1.7 miljoen"]) == [True, True]
    assert key_facts_found(answer, ["1,7 miljoen", "17 miljoen"]) == [False, False]


def _sources(letter: Letter, texts: list[str]) -> list[Source]:
    sources = []
    for rank, text in enumerate(texts, 1):
        (passage,) = [p for p in chunk_letter(letter, ChunkConfig()) if contains(p.text, text)][:1]
        sources.append(Source(rank=rank, score=1 / rank, passage=passage, letter=letter))
    return sources


def test_groundedness_checks_each_sentence_against_the_passage_it_cites():
    frit, khartoem = _sources(letter_004(), [FRIT, KHARTOEM])
    cited = {1: frit.passage.text, 2: khartoem.passage.text}
    essn = split_sentences(FRIT)[1]
    voorzitter = split_sentences(KHARTOEM)[0]
    good = f"{essn} [1] {voorzitter} [2]"
    assert groundedness(check_claims(answer_claims(good), cited)) == 1.0
    wrong_source = f"{essn} [2] {voorzitter} [2]"
    changed_number = essn.replace("1.7 miljoen", "2.7 miljoen") + " [1]"
    no_marker = f"{essn} [1] {voorzitter}"
    assert groundedness(check_claims(answer_claims(wrong_source), cited)) == 0.5
    assert groundedness(check_claims(answer_claims(changed_number), cited)) == 0.0
    assert groundedness(check_claims(answer_claims(no_marker), cited)) == 0.5
    # The English extractive answer's lead-in is no claim; the quoted sentence is.
    english = f"The letters say (quoted in Dutch): “{essn}” [1]"
    (claim,) = check_claims(answer_claims(english), cited)
    assert claim.supported and not claim.text.startswith("The letters say") and claim.cites == [1]
    assert answer_claims("De brieven geven hierover geen antwoord.")[0].cites == []


def test_abstention_precision_recall_and_declined_share():
    # (answerable, abstained): 2 unanswerable (one abstained), 4 answerable (one declined).
    rows = [(False, True), (False, False), (True, True), (True, False), (True, False), (True, False)]
    scores = abstention_scores(rows)
    assert scores == {"abstention_precision": 0.5, "abstention_recall": 0.5, "answerable_declined": 0.25}
    assert abstention_scores([(True, False)])["abstention_precision"] is None
    assert abstention_scores([(True, True), (True, False)])["abstention_precision"] is None  # one class only


# ----------------------------------------------------------------------- one scored answer
def _item(**kw) -> EvalItem:
    base = dict(id="t1", question="q", answer="a", evidence=[], key_facts=[], type="fact", language="nl", answerable=True)
    return EvalItem(**{**base, **kw})


def test_an_answer_is_scored_for_retrieval_citations_key_facts_and_grounding():
    letter = letter_004()
    khartoem, frit, overkoepelend = _sources(letter, [KHARTOEM, FRIT, OVERKOEPELEND])
    essn = split_sentences(FRIT)[1]
    voorzitter = split_sentences(KHARTOEM)[0]
    item = _item(type="number", evidence=[Evidence(ID_004, essn)], key_facts=["1.7 miljoen", "ESSN"])
    answer = Answer(
        question=item.question,
        text=f"{essn} [1] {voorzitter} [2]",
        citations=[Citation(1, frit, [essn]), Citation(2, khartoem, [voorzitter])],
        passages=[khartoem, frit, overkoepelend],
        abstained=False,
        timings={"retrieve": 5.0, "compose": 2.0, "total": 7.5},
    )
    relevant = {p.id for p in chunk_letter(letter, ChunkConfig()) if is_relevant(p.text, {ID_004}, item.evidence)}
    row = score_item(item, answer, relevant, {ID_004: {ID_004}})
    assert row["first_relevant_rank"] == 2
    m = row["metrics"]
    assert (m["hit@1"], m["hit@3"], m["mrr@10"]) == (0.0, 1.0, 0.5)
    assert m["key_fact_accuracy"] == 1.0 and m["citation_precision"] == 0.5 and m["groundedness"] == 1.0
    assert "letter_coverage" not in m  # one letter only
    assert m["direct_answer"] is None  # no direct-answer line

    # The bold direct answer is scored on its own: right when it is (within) a key fact.
    for span, right in (("1.7 miljoen", 1.0), ("1.7", 1.0), ("2020", 0.0)):
        answer.citations[0].answer_text = [span]
        assert score_item(item, answer, relevant, {ID_004: {ID_004}})["metrics"]["direct_answer"] == right
    answer.citations[0].answer_text = []

    multi = _item(type="multi", evidence=[Evidence(ID_004, essn), Evidence(ID_000, TURKIJE)], key_facts=["EUR 6 miljard"])
    row = score_item(multi, answer, relevant, {ID_004: {ID_004}, ID_000: {ID_000}})
    assert row["missing_letters"] == [ID_000] and row["metrics"]["letter_coverage"] == 0.0
    assert row["missing_key_facts"] == ["EUR 6 miljard"] and row["metrics"]["key_fact_accuracy"] == 0.0


def test_an_answer_quoting_documents_outside_the_evaluated_letters_is_counted():
    # Among an archive's other documents (the scale benchmark's regulations) an answer that quotes
    # half or more of its sentences from them is drawn from elsewhere.
    khartoem, frit = _sources(letter_004(), [KHARTOEM, FRIT])
    opvang = split_sentences(TURKIJE)[0]
    (turkije,) = _sources(letter_000(), [opvang])
    essn, voorzitter = split_sentences(FRIT)[1], split_sentences(KHARTOEM)[0]
    item = _item(type="number", evidence=[Evidence(ID_004, essn)], key_facts=["1.7 miljoen"])
    cited = [Citation(1, frit, [essn]), Citation(2, khartoem, [voorzitter]), Citation(3, turkije, [opvang])]
    answer = Answer(question=item.question, text="", citations=cited, passages=[frit, khartoem, turkije], abstained=False, timings={})
    letters = {ID_004: {ID_004}, ID_000: {ID_000}}
    elsewhere = lambda collection: score_item(item, answer, set(), letters, collection)["metrics"]["other_documents"]  # noqa: E731
    assert elsewhere({ID_004, ID_000}) == 0.0
    assert elsewhere({ID_004}) == 0.0  # one of three citations from another document
    assert elsewhere({ID_000}) == 1.0  # two of three
    answer.citations = [cited[0], cited[2]]
    assert elsewhere({ID_004}) == 1.0  # one of two: half
    cited[0].sentences = split_sentences(FRIT)[:3]
    assert elsewhere({ID_004}) == 0.0  # one sentence of four
    assert "other_documents" not in score_item(item, answer, set(), letters)["metrics"]  # no collection given


def test_aggregates_skip_undefined_metrics_and_break_down_by_field():
    rows = [
        {"type": "fact", "language": "nl", "answerable": True, "abstained": False,
         "metrics": {"hit@5": 1.0, "groundedness": 0.5}, "timings": {"total": 10.0}},
        {"type": "fact", "language": "en", "answerable": True, "abstained": True,
         "metrics": {"hit@5": 0.0, "groundedness": None}, "timings": {"total": 30.0}},
        {"type": "unanswerable", "language": "en", "answerable": False, "abstained": True,
         "metrics": {}, "timings": {"total": 20.0}},
    ]
    overall = summarize(rows)
    assert overall["n"] == 3 and overall["hit@5"] == 0.5 and overall["groundedness"] == 0.5
    assert overall["latency_ms"]["total"] == {"p50": 20.0, "p95": pytest.approx(29.0)}
    assert overall["abstention_precision"] == 0.5 and overall["answerable_declined"] == 0.5
    by_type = breakdown(rows, "type", ("fact", "list", "unanswerable"))
    assert list(by_type) == ["fact", "unanswerable"]
    assert by_type["unanswerable"]["hit@5"] is None and by_type["unanswerable"]["abstention_recall"] == 1.0
    assert breakdown(rows, "language", ("nl", "en"))["en"]["n"] == 2
