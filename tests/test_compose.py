"""How the extractive composer chooses sentences, on the real bundled letters.

Each test names a behaviour and checks it on a question whose answer the letters hold; the
expected words are quoted from the letters, so a composer that picks other sentences fails.
"""

from __future__ import annotations

from rag.answer_types import REASON, answer_type, direct_span, in_english
from rag.compose import _LEANS_BACK, _POINTS_BACK


def _answer(assistant, question):
    answer = assistant.ask(question)
    assert not answer.abstained, answer.text
    return answer


def test_a_chosen_sentence_that_leans_back_brings_the_one_before(assistant):
    # "Hier kan het COA ..." only makes sense after "Zo is ... de htl geopend in Hoogeveen."
    answer = _answer(assistant, "In welke Drentse gemeente is in 2020 een aparte locatie geopend waar asielzoekers die stelselmatig overlast geven naartoe worden overgeplaatst?")
    assert "Hoogeveen" in answer.text
    assert answer.text.index("geopend in Hoogeveen") < answer.text.index("Hier kan het COA")


def test_a_following_sentence_that_leans_on_the_chosen_one_comes_along(assistant):
    # "Daarbij vindt een toets plaats op prioriteit genietend aanbod." completes the rule.
    answer = _answer(assistant, "Wat bepaalt of een migrant van buiten de EU een werkvergunning krijgt?")
    assert "bepalend of er een werkvergunning wordt verleend" in answer.text
    assert "prioriteit genietend aanbod" in answer.text


def test_a_sentence_pointing_back_after_subject_and_verb_joins_too(assistant):
    # "Nederland is daarbij voorzitter van de werkgroep rondom terugkeer, samen met Malta."
    answer = _answer(assistant, "Welke werkgroep van gelijkgezinde EU-lidstaten zit Nederland voor, en samen met welk land?")
    assert "samen met Malta" in answer.text
    assert _POINTS_BACK.match("Nederland is daarbij voorzitter van de werkgroep rondom terugkeer, samen met Malta.")
    assert not _POINTS_BACK.match("Nederland is voorzitter van de werkgroep, en daarbij zijn meer landen betrokken.")


def test_a_sentence_is_also_read_beside_its_neighbour(assistant, monkeypatch):
    # "In 2023 werd er EUR 40 miljoen beschikbaar gesteld ..." says for what only through the
    # sentence before it ("... in 2022 EUR 30 miljoen beschikbaar voor de Afghaanse regio ...").
    question = "Hoeveel geld stelde Nederland in 2022 en in 2023 beschikbaar voor de Afghaanse regio?"
    second_year = "In 2023 werd er EUR 40 miljoen beschikbaar gesteld"
    from rag.sentence_cosines import SentenceCosines

    answer = _answer(assistant, question).text
    assert "EUR 30 miljoen" in answer and second_year in answer
    composer = assistant.extractive
    monkeypatch.setattr(composer, "cfg", composer.cfg.model_copy(update={"window_weight": 0.0}))
    assert second_year in _answer(assistant, question).text  # read in its passage, it still says for what
    monkeypatch.setattr(composer, "_cosines", SentenceCosines(assistant.store, 0.0))
    assert second_year not in _answer(assistant, question).text  # its own cosine alone leaves it out


def test_passages_the_retriever_can_hardly_tell_apart_compete_on_their_sentences(assistant, monkeypatch):
    # The answer ("... meer gebruik van digitale mogelijkheden zoals sociale media, ... hygiëne")
    # stands in the second passage, whose fused score trails the first's by a few hundredths.
    question = "How were information campaigns about the risks of irregular migration adapted during the COVID-19 pandemic?"
    answer = _answer(assistant, question).text
    assert "sociale media" in answer and "hygiëne" in answer
    composer = assistant.extractive
    monkeypatch.setattr(composer, "cfg", composer.cfg.model_copy(update={"score_weight": 3.0}))
    assert "sociale media" not in _answer(assistant, question).text  # a steep penalty keeps to the first passage


def test_why_questions_get_the_sentences_that_give_the_reason(assistant):
    answer = _answer(assistant, "Waarom worden asielzoekers uit veilige landen van herkomst in spoor 2 sinds september 2020 geclusterd en versoberd opgevangen?")
    assert "De clustering dient ertoe" in answer.text
    assert "ontmoedigen" in answer.text


def test_each_clause_of_a_compound_question_gets_its_own_evidence(assistant):
    answer = _answer(assistant, "Welke Europese visumregel maakt het mogelijk landen aan te pakken die slecht meewerken aan terugkeer, en sinds wanneer geldt die?")
    assert "25bis" in answer.text and "sinds 2020" in answer.text


def test_a_clause_finds_its_part_in_a_passage_ranked_lower_for_the_whole_question(assistant, monkeypatch):
    # The political agreement (3 december 2020) stands in the first passage; what the Netherlands
    # achieved in the mandate ("zonder voorwaarden") in the 2020 letter's passage, ranked second.
    question = "Wat heeft Nederland in het EU-mandaat voor het opvolgverdrag van Cotonou bereikt, en wanneer kwam daarover een politiek akkoord?"
    answer = _answer(assistant, question).text
    assert "3 december 2020" in answer and "zonder voorwaarden" in answer
    # The same for two numbers in two letters: 26.840 resettled, 1.000 Syrians the Dutch target.
    resettled = "Hoeveel vluchtelingen zijn tot april 2020 via de EU-Turkije Verklaring hervestigd, en hoeveel Syriërs wilde Nederland daarvan in 2020 hervestigen?"
    answer = _answer(assistant, resettled).text
    assert "26.840" in answer and "1.000 Syrische vluchtelingen" in answer
    composer = assistant.extractive
    monkeypatch.setattr(composer, "cfg", composer.cfg.model_copy(update={"clause_score_weight": composer.cfg.score_weight}))
    assert "zonder voorwaarden" not in _answer(assistant, question).text  # the whole question's ranking decides


def test_letterhead_fields_answer_questions_about_the_letter_itself(assistant):
    answer = _answer(assistant, "Welk kenmerk draagt de brief van 10 juli 2020 over de uitvoering van de motie Becker?")
    assert "Ons kenmerk 2971694" in answer.text
    english = _answer(assistant, "What is the reference number (kenmerk) of the January 2021 progress letter on the Integrated Migration Agenda?")
    assert "3001668" in english.text


def test_who_signed_a_letter_is_answered_with_the_name_from_its_signature(assistant):
    # In 004 "De Staatssecretaris van Justitie en Veiligheid," and "Ankie Broekers-Knol" stand
    # four lines apart, so no sentence of the running text held both.
    answer = _answer(assistant, "Welke staatssecretaris ondertekende de voortgangsbrief over de Integrale Migratieagenda van januari 2021?")
    assert answer.text.startswith("**Ankie Broekers-Knol** [1].")
    assert "Ondertekend door Ankie Broekers-Knol, de Staatssecretaris van Justitie en Veiligheid" in answer.text
    english = _answer(assistant, "Who signed the July 2020 letter on migration agreements?")
    assert "S.A. Blok, de Minister van Buitenlandse Zaken" in english.text


def test_the_letter_a_question_names_is_not_quoted_for_its_name(assistant):
    # "volgens de rapportage van Buitenlandse Zaken" says where to look; the answer is the
    # ministry of Asiel en Migratie, not every sentence that mentions Buitenlandse Zaken.
    answer = _answer(assistant, "Welk ministerie is eindverantwoordelijk voor het Nederlandse migratiebeleid over de grens, volgens de rapportage van Buitenlandse Zaken?")
    assert "Het ministerie van Asiel en Migratie draagt de overkoepelende verantwoordelijkheid" in answer.text


def test_the_markers_read_dutch_connectives_not_ordinary_openings():
    assert _LEANS_BACK.match("Hier kan het COA stelselmatig overlastgevende asielzoekers naar overplaatsen.")
    assert _LEANS_BACK.match("Daarbij vindt een toets plaats op prioriteit genietend aanbod.")
    assert not _LEANS_BACK.match("Hierna volgt een overzicht.")  # "hier" only as a whole word
    assert not _LEANS_BACK.match("Het kabinet hecht aan het behouden en vergroten van draagvlak.")
    assert REASON.search("Dit is belangrijk, omdat dit type oplossingen ons minder afhankelijk zou kunnen maken.")
    assert not REASON.search("Nederland is daarbij voorzitter van de werkgroep rondom terugkeer, samen met Malta.")


def test_the_answering_sentence_comes_first_after_a_direct_answer_line(assistant):
    answer = _answer(assistant, "Hoeveel migranten werden in 2023 via REAN ondersteund bij vrijwillige terugkeer?")
    first_line, rest = answer.text.split("\n", 1)
    assert first_line == "**1.859** [1]."
    assert rest.startswith("In 2023 werden vanuit Nederland via het REAN programma 1.859 migranten")
    cited = answer.citations[0]
    assert cited.answer_text == ["1.859"]
    assert [cited.source.letter.text[a:b] for a, b in cited.answer_spans] == ["1.859"]


def test_questions_without_a_span_to_give_get_no_direct_line(assistant):
    answer = _answer(assistant, "Wat bepaalt of een migrant van buiten de EU een werkvergunning krijgt?")
    assert "**" not in answer.text and "\n" not in answer.text


# Sentences as the letters write them (003_*: the BZ migration report; 000_*: Kamerstuk 19 637, nr. 2675).
BUDGET = "In 2023 bedroeg dit budget ca. EUR 200 miljoen voor opvang in de regio en EUR 60 miljoen voor migratiesamenwerking."


def _span(question, sentence, language="nl"):
    span = direct_span(question, language, sentence)
    return sentence[span[0] : span[1]] if span else None


def test_of_two_amounts_the_direct_answer_is_the_one_the_question_is_about():
    assert _span("Hoeveel geld besteedt het kabinet aan migratiesamenwerking?", BUDGET) == "EUR 60 miljoen"
    assert _span("Hoeveel geld gaat er naar opvang in de regio?", BUDGET) == "EUR 200 miljoen"


def test_a_number_that_opens_a_date_is_not_the_count():
    # 003_* (the BZ migration report) and 004_* (Voortgang Integrale Migratieagenda), as extracted.
    education = (
        "In het rapportagejaar 2023, hebben met Nederlandse hulp 696.651 mensen toegang tot onderwijs gekregen "
        "in opvang in de regio landen in o0.a. de Hoorn van Afrika en het Midden-Oosten."
    )
    assert _span("How many people gained access to education thanks to Dutch support?", education, "en") == "696.651"
    resettlement = (
        "Bij brief van 26 mei 2020 is de Tweede Kamer bericht over het vaststellen van het nationaal meerjarig "
        "beleidskader hervestiging 2020-2023 dat ziet op hervestiging van in totaal 2.000 vluchtelingen in genoemde "
        "periode van vier jaar; gemiddeld 500 vluchtelingen per jaar."
    )
    assert _span("Hoeveel vluchtelingen wil Nederland hervestigen?", resettlement) == "2.000"


def test_the_punctuation_after_a_number_is_not_part_of_the_direct_answer():
    sentence = (  # 000_*, Kamerstuk 19 637, nr. 2675
        "De gezamenlijke brede intensivering in EU-verband heeft bijgedragen aan lagere instroom: in 2019 lag het "
        "aantal aankomsten in Spanje op circa 32.500, een afname van bijna 50% ten opzichte van het jaar daarvoor."
    )
    assert _span("How many migrants arrived in Spain in 2019?", sentence, "en") == "32.500"


def test_a_list_ends_before_a_quote_mark_opened_in_an_earlier_sentence():
    # 003_* (the BZ migration report) quotes UNHCR over several sentences; the list closes the quote.
    hosts = (
        "Van alle vluchtelingen en andere personen die wereldwijd internationale bescherming behoeven kwam tussen "
        "2014-2023 73% uit vijf landen: Afghanistan (6,4 miljoen), Syrië (6,4 miljoen), Venezuela (6,1 miljoen), "
        "Oekraine (6 miljoen), Soedan (1,5 miljoen).”"
    )
    question = "Welke vijf landen vangen volgens de BZ-rapportage de meeste vluchtelingen op?"
    assert _span(question, hosts) == "Afghanistan (6,4 miljoen), Syrië (6,4 miljoen), Venezuela (6,1 miljoen), Oekraine (6 miljoen), Soedan (1,5 miljoen)"


def test_a_who_question_gets_the_person_or_the_agent_organisation():
    study = (  # 004_* (Voortgang Integrale Migratieagenda)
        "De verkenning, van mr. J.P.H. Donner en mr. dr. M. den Heijer, richtte zich op de vraag of het "
        "VN-Vluchtelingenverdrag nog toereikend is."
    )
    assert _span("Wie voerden de verkenning naar het VN-Vluchtelingenverdrag uit?", study) == "J.P.H. Donner"
    funding = "Het REAN programma wordt gefinancierd door het ministerie van Buitenlandse Zaken en Dienst Terugkeer & Vertrek."  # 003_*
    assert _span("Who funds the REAN programme?", funding, "en") == "ministerie van Buitenlandse Zaken en Dienst Terugkeer & Vertrek"
    # A name the question already gives is not its answer; capitalised words that are not the
    # agent (a programme, an agenda) are no answer either.
    assert _span("Wie financiert het programma van Buitenlandse Zaken?", funding) is None
    assert _span("Wie presenteerde de agenda?", "Op 29 maart 2018 presenteerde het kabinet de Integrale Migratieagenda (IMA).") is None


def test_who_asks_for_a_name_only_as_the_question_word():
    assert answer_type("Wie financiert het REAN-programma?") == "name"
    assert answer_type("Tot welk onderzoek leidde de motie, en wie voerden het uit?") == "name"
    assert answer_type("Which organisation implements the STEAP project?") == "name"
    assert answer_type("Op wie richt de website workinnl.nl zich primair?") is None  # a group, not a name
    assert answer_type("How can children who missed years of school catch up?") is None  # a relative pronoun
    assert answer_type("Welke organisaties vormen het Prospects-partnerschap?") is None  # several: a list


def test_the_direct_line_names_the_amount_the_question_asks_about(assistant):
    answer = _answer(assistant, "Hoeveel geld besteedt het kabinet aan migratiesamenwerking?")
    assert answer.text.startswith("**EUR 60 miljoen** [1].\n"), answer.text
    assert answer.citations[0].answer_text == ["EUR 60 miljoen"]


def test_an_english_direct_line_writes_numbers_and_dates_the_english_way():
    # Spans as the letters give them (FRIT, REAN, the 2017-2018 estimate, the taskforce, Prospects).
    assert in_english("3,4 miljoen") == "3.4 million"
    assert in_english("1.859") == "1,859"
    assert in_english("23.000 en 58.000") == "23,000 and 58,000"
    assert in_english("EUR 800 mln.") == "EUR 800 million"
    assert in_english("1 januari 2025") == "1 January 2025"
    assert in_english("tienduizenden") == "tens of thousands"
    assert in_english("2023") == "2023"
