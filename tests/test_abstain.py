"""The checks that make the extractive composer decline near-miss questions."""

from rag.abstain import asks_quantity, states_quantity

FRIT = "De financiering via de FRIT van in totaal EUR 6 miljard komt ten goede aan vluchtelingen in Turkije en de gastgemeenschappen."
TASKFORCE = "Daartoe is per 1 januari 2025 een interdepartementale taskforce internationale migratie actief."
ILLEGAL = "Volgens het onderzoek ligt het totale aantal onrechtmatig in Nederland verblijvende vreemdelingen tussen 23.000 en 58.000."
LIBYA = "Dankzij Nederlandse en Europese steun zijn tienduizenden migranten uit onveilige situaties in Libië teruggekeerd naar herkomstlanden."


def test_quantity_questions_need_a_number_that_is_not_a_date():
    assert asks_quantity("Hoeveel geld gaat er via de FRIT naar Turkije?")
    assert asks_quantity("How many migrants returned via REAN?")
    assert not asks_quantity("Waarom is terugkeer belangrijk?")
    assert not states_quantity("Hoeveel medewerkers krijgt de directie?", "nl", TASKFORCE)  # only a date
    assert states_quantity("Hoeveel migranten keerden terug uit Libië?", "nl", LIBYA)  # number word
    assert states_quantity("How many people are estimated to stay irregularly?", "en", ILLEGAL)


def test_dutch_quantity_questions_need_the_counted_thing_or_money():
    assert states_quantity("Hoeveel geld gaat er via de FRIT naar Turkije?", "nl", FRIT)
    assert states_quantity("Hoeveel draagt de EU via de FRIT bij?", "nl", FRIT)
    assert states_quantity("Hoeveel vreemdelingen verblijven onrechtmatig in Nederland?", "nl", ILLEGAL)
    assert not states_quantity("Hoeveel medewerkers werken er bij de FRIT?", "nl", FRIT)
    assert not states_quantity("Hoeveel geld kost de opvang?", "nl", ILLEGAL)


# --- Fragments of the bundled letters for the checks added later (passage texts as indexed). ---

from rag.analysis import initials  # noqa: E402
from rag.abstain import (  # noqa: E402
    TermWeights,
    asks_count,
    asks_money,
    on_topic,
    question_years,
)

MOLDOVA = (
    "Nederland heeft in 2023 EUR 10 mln. overgemaakt aan de GCFF ter ondersteuning van Moldavië, dat te kampen "
    "heeft met een groot aantal Oekraiense vluchtelingen."
)
MOU = "Het MoU omvat 5 pijlers, waar migratie er één van is."
HTL = (
    "Het afgelopen jaar zijn ook verschillende maatregelen getroffen om de aanpak van overlastgevende en/of criminele "
    "asielzoekers te intensiveren. Zo is in februari de Handhaving- en Toezichtlocatie (htl) geopend in Hoogeveen. "
    "Hier kan het COA stelselmatig overlastgevende asielzoekers naar overplaatsen om de leefbaarheid op reguliere "
    "locaties te borgen."
)
TASKFORCE_BUDGET = (
    "In het kader van de taskforce is in totaal vanuit de respectievelijke begrotingen van BHO en A&M op basis van de "
    "voorjaarsbesluitvorming oplopend tot 118 miljoen euro per jaar in 2029 begroot voor ontwikkelingshulp "
    "(ODA-uitgaven) en non-ODA uitgaven t.b.v. migratiesamenwerking- en partnerschappen."
)
RWANDA = (
    "Daarnaast ondersteunt Nederland UNHCR in zijn werk de meest kwetsbare vluchtelingen uit Libië te evacueren, via "
    "de Emergency Transit Mechanisms in Rwanda en Niger. Nederland is met een nieuw ambassadekantoor actief in Niger."
)
FRIT_TURKEY = (
    "Turkije is het beste voorbeeld van intensieve EU inzet voor opvang in de regio. De Facility for Refugees In "
    "Turkey (FRIT) ondersteunt Turkije op meerjarige basis om 3,4 miljoen vluchtelingen op te vangen."
)
GCFF_NAME = "Global Concessional Financing Facility (globalcff.org)"
GCFF_LENDING = (
    "De GCFF heeft 10 donoren, waaronder Europese landen maar ook Japan en de VS. De donoren financieren lagere "
    "rentetarieven zodat elke ingelegde dollar 3-8 dollar in lening kan opleveren."
)
GCFF_DONORS = (
    "De GCFF werkt goed als informeel donorcoérdinatieinstrument waar kwesties van groter strategisch belang worden "
    "besproken met andere donoren, zoals de Verengde Staten, het Verenigd Koninkrijk en de Europese Unie."
)


def test_a_sum_of_money_does_not_answer_how_many():
    question = "Hoeveel Oekraïense vluchtelingen vangt Nederland op?"
    assert asks_count(question, "nl") and not asks_money(question, "nl")
    assert not states_quantity(question, "nl", MOLDOVA)  # only EUR 10 mln. and a year
    assert states_quantity("Hoeveel vluchtelingen vangt Turkije op?", "nl", FRIT_TURKEY)  # 3,4 miljoen vluchtelingen
    assert asks_count("How many refugees were evacuated?", "en")
    assert not states_quantity("How many refugees were evacuated?", "en", MOLDOVA)
    # A money question is still answered by it.
    assert states_quantity("Hoeveel geld maakte Nederland over aan de GCFF?", "nl", MOLDOVA)


def test_generic_counted_nouns_accept_what_the_letters_count():
    assert states_quantity("Hoeveel mensen keerden dankzij Nederlandse steun terug uit Libië?", "nl", LIBYA)
    assert not states_quantity("Hoeveel mensen keerden terug?", "nl", TASKFORCE)  # only a date


def test_money_questions_need_a_sum_of_money_in_both_languages():
    assert asks_money("Wat kost het opzetten van een transit hub?", "nl")
    assert asks_money("How much money does the Netherlands contribute to the MoU?", "en")
    assert not asks_money("How much lower was the inflow?", "en")
    assert not states_quantity("How much money does the Netherlands contribute to the MoU?", "en", MOU)  # 5 pillars
    assert states_quantity("How much does the EU contribute via the FRIT?", "en", FRIT)


def test_years_describing_a_thing_do_not_set_the_time_frame():
    assert question_years("Hoe gebruikt Nederland het VN-akkoord over migratie uit 2018?") == []
    assert question_years("Wat staat er in de brief van juli 2020?") == []
    assert question_years("Hoeveel migranten kwamen in 2023 aan?") == ["2023"]
    assert question_years("How many arrived in Spain in 2019?") == ["2019"]


def test_initials_of_written_out_names():
    assert "BZ" in initials("het ministerie van Buitenlandse Zaken")
    assert "FRIT" in initials(FRIT_TURKEY)
    assert "REAN" in initials("Return and Emigration Assistance from the Netherlands (REAN)")
    assert "VK" in initials(GCFF_DONORS)


def _weights() -> TermWeights:
    passages = [MOLDOVA, MOU, HTL, TASKFORCE_BUDGET, RWANDA, FRIT_TURKEY, GCFF_NAME, GCFF_LENDING, GCFF_DONORS, FRIT, LIBYA]
    return TermWeights((str(i), text) for i, text in enumerate(passages))


def _on_topic(weights: TermWeights, question: str, stating: str, best: str) -> bool:
    terms = weights.question_terms(question)
    return on_topic(weights.coverage(question, terms, "", stating), weights.coverage(question, terms, "", best))


def test_the_number_must_be_about_the_question_subject():
    weights = _weights()
    htl = "Hoeveel kost de Handhaving- en Toezichtlocatie in Hoogeveen per jaar?"
    assert not _on_topic(weights, htl, TASKFORCE_BUDGET, HTL)  # shares only "per jaar"
    budget = "Hoeveel geld is voor de taskforce begroot per jaar?"
    assert _on_topic(weights, budget, TASKFORCE_BUDGET, TASKFORCE_BUDGET)


def test_english_questions_are_matched_on_their_names_and_acronyms():
    weights = _weights()
    rwanda = "How many refugees have been evacuated from Libya through the Emergency Transit Mechanism in Rwanda?"
    assert not _on_topic(weights, rwanda, FRIT_TURKEY, RWANDA)  # a number, about Turkey
    # "Global Concessional Financing Facility" is the GCFF of the passage stating the number.
    lending = "How much lending can each dollar donated to the Global Concessional Financing Facility generate?"
    assert _on_topic(weights, lending, GCFF_LENDING, GCFF_NAME)
