"""Metadata from letterheads, Kamerstuk footers and, failing those, the text itself."""

from __future__ import annotations

from functools import cache

import pytest
from helpers import letter_path

from index.letters import load_letter
from index.loaders import read_document
from index.metadata import parse_dutch_date, read_metadata, report_period


@cache
def meta(prefix: str):
    return read_metadata(read_document(letter_path(prefix)).text)


@pytest.mark.parametrize(
    "text, iso",
    [
        ("Datum 10 juli 2020", "2020-07-10"),
        ("Datum 11 januari 2021", "2021-01-11"),
        ("Op 3 december 2020 bereikten de hoofdonderhandelaars", "2020-12-03"),
        ("per 1 jan. 2025", "2025-01-01"),
        ("sinds 4 Maart 2016", "2016-03-04"),
    ],
)
def test_dutch_dates(text, iso):
    assert parse_dutch_date(text)[0] == iso


def test_not_a_date():
    assert parse_dutch_date("circa 26.840 vluchtelingen") is None
    assert parse_dutch_date("op 32 juli 2020") is None
    assert parse_dutch_date("in oktober 2019") is None  # a month without a day is no date


def test_ministry_letter_metadata():
    m = meta("001")
    assert (
        m.title
        == "Uitvoering motie Becker cs. over uitvoering van de regeerakkoordafspraken over migratieovereenkomsten"
    )
    assert (m.date, m.date_text) == ("2020-07-10", "10 juli 2020")
    assert m.kenmerk == "2971694"
    assert m.addressee == "Aan de Voorzitter van de Tweede Kamer der Staten-Generaal"
    assert m.kamerstuk is None


def test_second_ministry_letter():
    m = meta("004")
    assert (m.title, m.date, m.kenmerk) == ("Voortgang Integrale Migratieagenda", "2021-01-11", "3001668")
    assert m.addressee == "Aan de Voorzitter van de Eerste Kamer der Staten-Generaal"  # "Der" in the source


def test_kamerstuk_publication():
    m = meta("000")
    assert m.kamerstuk == "19 637, nr. 2675"  # from "Tweede Kamer, vergaderjaar 2019–2020, 19 637, nr. 2675 5"
    assert (m.title, m.date, m.kenmerk) == (None, None, None)
    assert m.addressee is None  # "Aan de externe kant ziet het kabinet" is running text, not an addressee


def test_the_signatures_closing_a_letter():
    # 000 closes with three offices, each with its name on the next line; 004 with one office,
    # four blank lines and then the name (no initials).
    assert meta("000").signatories == [
        ("A. Broekers-Knol", "de Staatssecretaris voor Justitie en Veiligheid"),
        ("S.A. Blok", "de Minister van Buitenlandse Zaken"),
        ("S.A.M. Kaag", "de Minister voor Buitenlandse Handel en Ontwikkelingssamenwerking"),
    ]
    assert meta("004").signatories == [("Ankie Broekers-Knol", "de Staatssecretaris van Justitie en Veiligheid")]
    # 001 lost its last page in extraction; the reports 002 and 003 are not signed.
    assert all(meta(prefix).signatories == [] for prefix in ("001", "002", "003"))


def test_a_signature_is_an_office_line_ending_in_a_comma_with_a_name_below_it():
    closing = "De Minister van Justitie,\n\nPagina 4 van 4\n\nmr. F. Korthals Altes\n\nDe Minister van Justitie,\nmr. F. Korthals Altes\n"
    assert read_metadata(closing).signatories == [("mr. F. Korthals Altes", "de Minister van Justitie")]  # signed twice, listed once
    running = "De Minister van Justitie, die de wet uitvoert, stelt regels.\nDe Minister van Financiën,\nzo blijkt uit de toelichting, is bevoegd.\n"
    assert read_metadata(running).signatories == []  # an office mid-sentence, or no name below it


@pytest.mark.parametrize("prefix", ["002", "003"])
def test_no_date_is_guessed_without_a_datum_line(prefix):
    assert meta(prefix).date is None  # 003 reports on "2023", but a year is not a date


def test_a_report_has_the_period_it_says_it_covers():
    # 003: "Deze rapportage biedt een overzicht van de inspanningen in 2023 van het ministerie ..."
    assert (meta("003").date, meta("003").period) == (None, "2023")
    assert meta("002").period is None  # names years (2025, 2029) but not as what it covers
    assert meta("001").period is None and meta("004").period is None  # dated letters need none


@pytest.mark.parametrize(
    "text, period",
    [
        ("Deze rapportage biedt een overzicht van de inspanningen in 2023 van het ministerie.", "2023"),
        ("Dit jaarverslag gaat over het jaar 2022.", "2022"),
        ("Deze rapportage beschrijft de inzet over de\nperiode 2021-2023.", "2021–2023"),
        ("Deze monitor geeft de cijfers van 2019 tot en met 2021.", "2019–2021"),
        ("In 2023 werden vanuit Nederland 1.859 migranten ondersteund.", None),  # a year, not the report's
        ("Deze rapportage verschijnt jaarlijks sinds 2020.", None),
        ("Per 1 januari 2025 is een taskforce actief.", None),
    ],
)
def test_report_periods(text, period):
    assert report_period(text) == period


def test_labelled_values_on_one_line():
    m = read_metadata(
        "Datum 3 september 2019\nOns kenmerk 2019-0000123456\nOnderwerp Voortgang terugkeer\n\nGeachte voorzitter,"
    )
    assert (m.date, m.kenmerk, m.title) == ("2019-09-03", "2019-0000123456", "Voortgang terugkeer")


def test_fallback_titles():
    kamerstuk = load_letter(letter_path("000"))
    assert kamerstuk.title.startswith("In reactie op de motie van het lid Becker c.s. verstrekken wij uw Kamer")
    assert kamerstuk.title.endswith(" …") and len(kamerstuk.title) <= 122
    # No letterhead and no opening heading: its closing "Met deze brief hebben wij inzicht gegeven in
    # de internationale beleidsagenda van ..., conform de toezegging ..." names its subject.
    assert (
        load_letter(letter_path("002")).title
        == "Internationale beleidsagenda van de interdepartementale taskforce voor internationale migratie"
    )
    report = load_letter(letter_path("003"))  # opens with the heading "Inleiding": a section name, passed over
    assert report.title == "Eerste editie van de migratierapportage van het ministerie van Buitenlandse Zaken"


def test_letters_carry_their_metadata():
    assert load_letter(letter_path("004")).date == "2021-01-11"
    letter = load_letter(letter_path("001"))
    assert (letter.kenmerk, letter.title[:20]) == ("2971694", "Uitvoering motie Bec")

