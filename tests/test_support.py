"""Support of answer sentences by passages, on real paragraphs of the bundled letters.

The sentence lists below are the calibration set for ``SUPPORT_THRESHOLD``: copies and
paraphrases an LLM would write (same facts, other words) must pass, sentences with a changed
number or about another topic must not.
"""

from __future__ import annotations

import re

import pytest
from helpers import letter_path

from rag.support import SUPPORT_THRESHOLD, is_supported, split_sentences, support_score

FRIT_SENTENCE = (
    "De financiering via de FRIT van in totaal EUR 6 miljard komt ten goede aan vluchtelingen in Turkije "
    "en de gastgemeenschappen."
)
ILLEGAL_SENTENCE = (
    "Volgens het onderzoek ligt het totale aantal onrechtmatig in Nederland verblijvende vreemdelingen "
    "tussen 23.000 en 58.000."
)


def cleaned_text(prefix: str) -> str:
    """A bundled letter's paragraphs with their whitespace collapsed, separated by blank lines."""
    blocks = re.split(r"\n[ \t]*\n", letter_path(prefix).read_text(encoding="utf-8"))
    return "\n\n".join(" ".join(b.split()) for b in blocks if b.strip())


def paragraph(prefix: str, fragment: str) -> str:
    """The paragraph of a bundled letter that contains ``fragment``."""
    return next(p for p in cleaned_text(prefix).split("\n\n") if fragment in p)


@pytest.fixture(scope="module")
def frit() -> str:
    return paragraph("000", "FRIT van in totaal EUR 6 miljard")


@pytest.fixture(scope="module")
def illegal() -> str:
    return paragraph("004", "tussen 23.000 en 58.000")


SUPPORTED_BY_FRIT = [
    FRIT_SENTENCE + " [1]",
    "Via de FRIT gaat in totaal EUR 6 miljard naar vluchtelingen in Turkije en hun gastgemeenschappen [1].",
    "De EU steunt met de FRIT, in totaal EUR 6 miljard, vluchtelingen in Turkije en de gemeenschappen die hen "
    "opvangen [1].",
    "De EU heeft via de FRIT in totaal 6 miljard euro beschikbaar gesteld voor vluchtelingen in Turkije en "
    "gastgemeenschappen [1].",
    "De FRIT heeft 1.7 miljoen vluchtelingen financieel ondersteund in hun basisbehoeften [1].",
    "Ruim 685.000 kinderen kregen dankzij de FRIT toegang tot onderwijs via de CCTE [1].",
    "Turkije vangt ruim 3,5 mln. Syriërs op [1].",
]
NOT_SUPPORTED_BY_FRIT = [
    # a changed amount
    "De financiering via de FRIT van in totaal EUR 8 miljard komt ten goede aan vluchtelingen in Turkije [1].",
    "De FRIT heeft 1.9 miljoen vluchtelingen financieel ondersteund in hun basisbehoeften [1].",
    # another topic, even when it shares a few of the passage's words
    "Nederland sloot een migratieovereenkomst met Marokko over de terugkeer van uitgeprocedeerde asielzoekers [1].",
    "De Europese Commissie onderhandelt met Turkije over nieuwe visumafspraken [1].",
    "Griekenland ontvangt extra Europese steun voor de grensbewaking [1].",
    "Het kabinet zet in op terugkeer van uitgeprocedeerde asielzoekers naar hun land van herkomst [1].",
]
SUPPORTED_BY_ILLEGAL = [
    ILLEGAL_SENTENCE,
    "Volgens de illegalenschatting van de Universiteit Utrecht verblijven tussen 23.000 en 58.000 vreemdelingen "
    "onrechtmatig in Nederland [1].",
    "Het WODC schat dat tussen 23.000 en 58.000 vreemdelingen zonder verblijfsrecht in Nederland zijn [1].",
    "Het aantal illegalen in Nederland ligt volgens de schatting tussen 23.000 en 58.000 [1].",
]
NOT_SUPPORTED_BY_ILLEGAL = [
    ILLEGAL_SENTENCE.replace("23.000", "25.000"),
    "Volgens het onderzoek verblijven tussen 23.000 en 58.000 vreemdelingen onrechtmatig in Nederland in de "
    "periode 2015-2016 [1].",
    "Het aantal asielaanvragen in Nederland lag in 2018 rond de 30.000 [1].",
    "Het WODC evalueert de landelijke vreemdelingenvoorzieningen in vijf gemeenten [1].",
]


@pytest.mark.parametrize("sentence", SUPPORTED_BY_FRIT)
def test_copies_and_paraphrases_of_the_frit_paragraph_are_supported(frit, sentence):
    assert is_supported(sentence, frit), support_score(sentence, frit)


@pytest.mark.parametrize("sentence", NOT_SUPPORTED_BY_FRIT)
def test_changed_numbers_and_other_topics_are_not_supported_by_the_frit_paragraph(frit, sentence):
    assert not is_supported(sentence, frit), support_score(sentence, frit)


@pytest.mark.parametrize("sentence", SUPPORTED_BY_ILLEGAL)
def test_paraphrases_of_the_illegalenschatting_are_supported(illegal, sentence):
    assert is_supported(sentence, illegal), support_score(sentence, illegal)


@pytest.mark.parametrize("sentence", NOT_SUPPORTED_BY_ILLEGAL)
def test_changed_numbers_and_other_topics_are_not_supported_by_the_illegalenschatting(illegal, sentence):
    assert not is_supported(sentence, illegal), support_score(sentence, illegal)


def test_a_copied_sentence_scores_one_and_a_changed_number_zero(frit, illegal):
    assert support_score(FRIT_SENTENCE, frit) == 1.0
    assert support_score(ILLEGAL_SENTENCE + " [2]", illegal) == 1.0
    assert support_score(ILLEGAL_SENTENCE.replace("58.000", "85.000"), illegal) == 0.0


def test_the_threshold_separates_paraphrases_from_other_topics(frit, illegal):
    """The default lies strictly between the two groups of the calibration set, with room on both sides."""
    supported = [support_score(s, frit) for s in SUPPORTED_BY_FRIT] + [
        support_score(s, illegal) for s in SUPPORTED_BY_ILLEGAL
    ]
    other_topics = [support_score(s, frit) for s in NOT_SUPPORTED_BY_FRIT] + [
        support_score(s, illegal) for s in NOT_SUPPORTED_BY_ILLEGAL
    ]
    assert max(other_topics) + 0.05 <= SUPPORT_THRESHOLD <= min(supported) - 0.05


def test_citation_markers_are_not_numbers_of_the_sentence(illegal):
    # "[7]" or "[1, 7]" must not count as a number the passage lacks
    assert is_supported(ILLEGAL_SENTENCE + " [7]", illegal)
    assert support_score(ILLEGAL_SENTENCE + " [1, 7][3]", illegal) == 1.0


def test_numbers_in_english_notation_match_the_letters_notation(illegal):
    assert support_score("tussen 23,000 en 58,000 vreemdelingen", illegal) == 1.0
    assert support_score("tussen 23,500 en 58,000 vreemdelingen", illegal) == 0.0


def test_a_sentence_without_content_terms_is_not_supported(frit):
    assert support_score("Dat is zo [1].", frit) == 0.0


def test_split_sentences_keeps_markers_with_their_sentence():
    text = (
        "De FRIT financiert o.a. onderwijs [1]. Het kabinet c.q. de minister verwijst naar Kamerstuk 34 700, nr. 34 [2]. "
        "Turkije vangt ruim 3,5 mln. Syriërs op [1][2]. " + FRIT_SENTENCE + " [1] " + ILLEGAL_SENTENCE + " [3, 1]"
    )
    assert split_sentences(text) == [
        "De FRIT financiert o.a. onderwijs [1].",
        "Het kabinet c.q. de minister verwijst naar Kamerstuk 34 700, nr. 34 [2].",
        "Turkije vangt ruim 3,5 mln. Syriërs op [1][2].",
        FRIT_SENTENCE + " [1]",
        ILLEGAL_SENTENCE + " [3, 1]",
    ]


def test_split_sentences_of_a_quoted_english_answer():
    text = f"The letters say (quoted in Dutch): “{FRIT_SENTENCE}” [1] “{ILLEGAL_SENTENCE}” [2]"
    assert split_sentences(text) == [
        f"The letters say (quoted in Dutch): “{FRIT_SENTENCE}” [1]",
        f"“{ILLEGAL_SENTENCE}” [2]",
    ]
