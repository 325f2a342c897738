"""English question words translated into the letters' words, for BM25 (rag/translation.py)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from index.models import Passage
from index.vocabulary import corpus_words
from rag.translation import WordTranslator

# From letter 003 (the BZ migration report, 2023), the Prospects section.
PROSPECTS = (
    "Dankzij Prospects hebben in de periode mid-2022 — mid-2023 tienduizenden vluchtelingen en mensen uit de "
    "gastgemeenschappen een inkomen kunnen genereren"
)
# Asked in English; the letter says "inkomen" and "gastgemeenschappen", never "income" or "host".
INCOME = "How many people in the host communities could earn an income thanks to Prospects?"


def test_the_corpus_words_are_the_distinct_words_of_four_letters_or_more():
    text = "Steun via de EU-Turkije Verklaring: 6 miljard euro voor de FRIT en de FRIT."
    passage = Passage(id="x#1", letter="x", text=text, start=0, end=len(text), heading="Turkije")
    # Hyphenated names stay whole, numbers and words under four letters ("via", "de") are left out.
    assert corpus_words([passage]) == ["eu-turkije", "euro", "frit", "miljard", "steun", "turkije", "verklaring", "voor"]


def test_content_words_leave_out_stopwords_acronyms_and_numbers(assistant):
    translator = assistant.retriever.translator
    words = translator.content_words("How many children and their parents did UNHCR help in 2023 and 2024?")
    assert words == ["children", "parents", "help"]


@pytest.mark.parametrize(("english", "dutch"), [("children", "kinderen"), ("parents", "ouders"), ("pandemic", "pandemie")])
def test_english_words_find_their_dutch_counterparts_in_the_letters(assistant, english, dutch):
    assert assistant.retriever.translator.translate(english) == [dutch]


def test_a_corpus_without_words_translates_nothing(embedder):
    translator = WordTranslator([], np.zeros((0, embedder.dim), np.float32), embedder, threshold=0.9, per_word=1)
    assert translator.translate("How many children arrived?") == []


def test_translation_brings_the_passage_an_english_question_asks_about_to_the_top(assistant):
    """BM25 analyses Dutch: untranslated, the English question ranks the passage 6th there."""
    retriever = assistant.retriever
    assert "inkomen" in retriever.translator.translate(INCOME)

    def rank_of_prospects(mode: str) -> int | None:
        sources = retriever.retrieve(INCOME, mode=mode).sources
        return next((s.rank for s in sources if PROSPECTS in " ".join(s.passage.text.split())), None)

    assert rank_of_prospects("bm25") == rank_of_prospects("hybrid") == 1
    untranslated = copy.copy(retriever.translator)  # a copy that translates nothing
    untranslated.per_word = 0
    original, retriever.translator = retriever.translator, untranslated
    try:
        assert (rank_of_prospects("bm25") or 99) > 3
    finally:
        retriever.translator = original
