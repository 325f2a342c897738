"""The answer side on the real bundled letters: retrieval, extractive answers, bad input, CLI."""

from __future__ import annotations

import json

import pytest
from helpers import letter_path

from rag.assistant import QuestionError
from rag.conversation import is_follow_up, resolve
from rag.language import detect_language
from ui.cli import main as rag

LETTER_2020 = letter_path("000").stem
LETTER_2021 = letter_path("004").stem
REPORT_2023 = letter_path("003").stem


def test_answers_a_number_question_with_a_cited_quote(assistant):
    answer = assistant.ask("Hoeveel geld gaat er via de FRIT naar vluchtelingen in Turkije?")
    assert not answer.abstained
    assert "6 miljard" in answer.text and "[1]" in answer.text
    first = answer.citations[0]
    assert first.n == 1 and first.source.letter.id == LETTER_2020
    # the quoted sentence is literally in the letter, at the highlighted offsets
    letter = first.source.letter
    assert any("6 miljard" in letter.text[a:b] for a, b in first.spans)
    assert set(answer.timings) == {"retrieve", "compose", "total"}


def test_english_question_gets_an_english_lead_in_and_dutch_evidence(assistant):
    answer = assistant.ask("How many migrants returned voluntarily from the Netherlands via REAN in 2023?")
    assert answer.language == "en"
    # the direct answer first, written the English way with the letter's own words beside it;
    # then the quotation, introduced in English
    assert answer.text.startswith("In short: **1,859** (“1.859”) [1].")
    assert answer.citations[0].answer_text == ["1.859"]  # what the sources panel highlights
    assert "\nThe letters say (quoted in Dutch): “" in answer.text
    assert answer.citations[0].source.letter.id == REPORT_2023


def test_duplicate_extractions_are_one_letter_and_no_passage_comes_twice(assistant):
    ids = set(assistant.store.letters)
    assert letter_path("001").stem not in ids
    assert letter_path("001").stem in assistant.store.letters[LETTER_2020].aliases
    answer = assistant.ask("Welke drie instrumenten noemt het regeerakkoord om migratiesamenwerking te stimuleren?", k=10)
    texts = [s.passage.text for s in answer.passages]
    assert len(texts) == len(set(texts)) == 10


def test_a_question_spanning_two_letters_retrieves_both(assistant):
    answer = assistant.ask("Hoe heeft het aantal vluchtelingen dat de FRIT in Turkije ondersteunt zich ontwikkeld tussen 2020 en 2023?")
    letters = {s.letter.id for s in answer.passages[:10]}
    assert {LETTER_2020, REPORT_2023} <= letters


def test_the_window_ranking_finds_a_mechanism_described_across_two_sentences(assistant):
    # Letter 000 explains the 1:1 mechanism in one sentence and follows it with what it has done
    # ("circa 26.840 vluchtelingen hervestigd vanuit Turkije"). Ranked by the whole passage and by
    # single sentences, two passages on the EU-Turkey Statement's other parts come first; the two
    # sentences as one window lift the mechanism's passage to the top.
    from rag.retrieve import Retriever

    # The English question's vector is left unshifted (rag/crosslingual.py), as it was when this
    # was measured: shifted, it finds the mechanism first with or without the windows.
    question = "How does the one-for-one arrangement under the EU-Turkey Statement work?"
    unshifted = assistant.config.retrieval.model_copy(update={"language_shift": 0})
    top = Retriever(assistant.store, assistant.embedder, unshifted).retrieve(question).sources[0].passage.text
    assert "1:1 mechanisme" in " ".join(top.split())
    cfg = unshifted.model_copy(update={"window_weight": 0})
    without = Retriever(assistant.store, assistant.embedder, cfg).retrieve(question).sources
    assert "1:1 mechanisme" not in " ".join(without[0].passage.text.split())


def test_sentences_and_windows_of_a_candidate_pool_score_as_over_the_whole_matrix(assistant):
    # A large index ranks only the dense and BM25 candidates by their sentences and windows; each
    # candidate must get exactly the best cosine it gets when every row is read.
    import numpy as np

    retriever = assistant.retriever
    query = assistant.embedder.encode_query("Hoeveel Syriërs vangt Turkije op?")
    pool = np.array([0, 3, 4, 17, 40, len(assistant.store.passages) - 1])
    for blocks in (retriever._sentences, retriever._windows):
        full, pooled = blocks.scores(query), blocks.scores(query, pool)
        np.testing.assert_allclose(pooled[pool], full[pool], rtol=1e-6)
        assert (np.delete(pooled, pool) == -1).all()
        assert (full[pool] > -1).sum() >= 4  # the pool holds passages with rows, not only empty ones

def test_a_sentence_is_compared_alone_and_in_its_passage(assistant):
    import numpy as np

    from rag.sentence_cosines import SentenceCosines

    store = assistant.store
    row, spans = next((r, s) for r, s in enumerate(store.sentences) if "steunpakket van EUR 7,4 miljard" in store.passages[r].text)
    first = int(store.sentence_bounds[row])
    i = first + next(j for j, (a, b) in enumerate(spans) if "steunpakket van EUR 7,4" in store.passages[row].text[a:b])
    alone, context = np.asarray(store.sentence_matrix[i]), np.asarray(store.context_matrix[i])
    query = assistant.embedder.encode_query("Hoe groot is het steunpakket voor Egypte?")
    assert context @ query > alone @ query  # "Egypte" stands in the sentence before it, not in it
    mixed = 0.75 * alone + 0.25 * context
    cosines = SentenceCosines(store, 0.25)
    np.testing.assert_allclose(cosines(query, np.array([i])), [mixed @ query / np.linalg.norm(mixed)], rtol=1e-5)
    np.testing.assert_allclose(cosines(query)[first : first + len(spans)], cosines(query, slice(first, first + len(spans))), rtol=1e-6)
    np.testing.assert_allclose(SentenceCosines(store, 0)(query), store.sentence_matrix @ query, rtol=1e-6)


def test_filters_restrict_letters_and_dates(assistant):
    only = assistant.ask("Wat doet Nederland aan terugkeer?", letters=[LETTER_2021])
    assert {s.letter.id for s in only.passages} == {LETTER_2021}
    dated = assistant.ask("Wat doet Nederland aan terugkeer?", date_from="2021-01-01", date_to="2021-12-31")
    assert {s.letter.date[:4] for s in dated.passages} == {"2021"}
    alias = assistant.ask("Wat doet Nederland aan terugkeer?", letters=[letter_path("001").stem])
    assert {s.letter.id for s in alias.passages} == {LETTER_2020}


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x01"])
def test_empty_questions_are_refused_clearly(assistant, question):
    with pytest.raises(QuestionError, match="leeg"):
        assistant.ask(question)


def test_huge_questions_are_clipped_with_a_notice(assistant):
    answer = assistant.ask("Hoeveel geld gaat er via de FRIT naar Turkije? " * 1200)  # ~55,000 characters
    assert len(answer.question) <= assistant.config.answer.max_question_chars
    assert any("ingekort" in n for n in answer.notices)


def test_control_characters_and_other_scripts_do_not_break_it(assistant):
    answer = assistant.ask("Hoeveel\x07 geld\x1b gaat er via de FRIT naar Turkije?")
    assert "\x07" not in answer.question and "6 miljard" in answer.text
    other = assistant.ask("移民政策是什么？ Что такое FRIT?")
    assert other.passages  # still retrieves; the answer may be a refusal but never a crash


def test_unanswerable_question_is_declined_in_its_language(assistant):
    nl = assistant.ask("Hoeveel asielzoekers kwamen in 2012 via Wit-Rusland naar Nederland?")
    assert nl.abstained and nl.text.startswith("De brieven geven hierover geen antwoord")
    assert nl.passages and not nl.citations
    en = assistant.ask("How many asylum seekers arrived in the Netherlands in 2012?")
    assert en.abstained and en.text.startswith("The letters do not answer")


def test_follow_up_questions_are_resolved_with_the_previous_turn(assistant):
    assert is_follow_up("En in 2023?") and is_follow_up("Welke landen precies?")
    assert not is_follow_up("Welke maatregelen heeft het kabinet genomen tegen overlastgevende asielzoekers?")
    history = [{"role": "user", "content": "Hoeveel migranten keerden vrijwillig terug via het REAN programma?"},
               {"role": "assistant", "content": "..."}]
    assert resolve("En in 2023?", history).startswith("Hoeveel migranten")
    answer = assistant.ask("En hoeveel kregen herintegratie ondersteuning?", history=history)
    assert answer.resolved_question and "1.171" in answer.text


def test_language_detection():
    assert detect_language("Hoeveel geld gaat er naar Turkije?") == "nl"
    assert detect_language("How much money goes to Turkey?") == "en"


def test_cli_ask_json_and_batch(bundled_index, rag_home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_HOME", str(rag_home))
    monkeypatch.delenv("RAG_LLM_BASE_URL", raising=False)
    assert rag(["ask", "--index", str(bundled_index), "--json", "Wat is COMPASS?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["citations"] and data["passages"]

    batch = tmp_path / "q.jsonl"
    batch.write_text(
        '{"id": "a", "question": "Hoeveel geld gaat er via de FRIT naar Turkije?"}\n'
        "not json\n"
        '{"id": "c", "question": "   "}\n',
        encoding="utf-8",
    )
    assert rag(["ask", "--index", str(bundled_index), "--batch", str(batch), "-k", "12", "--json"]) == 1
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["id"] == "a" and len(rows[0]["passages"]) == 12
    assert set(rows[0]) == {"id", "question", "answer", "abstained", "citations", "passages", "timings_ms"}
    assert set(rows[0]["citations"][0]) == {"n", "letter", "title", "date", "page", "text"}
    assert set(rows[0]["passages"][0]) == {"rank", "letter", "title", "page", "score", "text"}
    assert set(rows[0]["timings_ms"]) == {"retrieve", "compose", "total"}
    assert "error" in rows[1] and "error" in rows[2]


def test_cli_without_an_index_names_the_command_to_build_it(tmp_path, rag_home, monkeypatch, capsys):
    monkeypatch.setenv("RAG_HOME", str(rag_home))
    assert rag(["ask", "--index", str(tmp_path / "none"), "Wat is FRIT?"]) == 2
    assert "rag index --index" in capsys.readouterr().err
