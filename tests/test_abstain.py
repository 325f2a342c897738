"""The checks that make the extractive composer decline near-miss questions."""

from rag.abstain import asks_quantity, missing_year, states_quantity

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


def test_a_year_in_the_question_must_be_in_the_evidence_letter():
    context = "Voortgang Integrale Migratieagenda 2021-01-11 ... voor de periode 2017-2018 ..."
    assert missing_year("Hoeveel vreemdelingen verbleven er in 2022 onrechtmatig?", [context]) == "2022"
    assert missing_year("Welke schatting gold voor 2017?", [context]) is None
    assert missing_year("Wat schreef de brief van 2021?", [context]) is None
