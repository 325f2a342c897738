"""Cleaning rules, each checked on real fragments of the bundled letters, and whole-letter checks."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from helpers import letter_path

from index.cleaning import clean_document, join_lines, word_counts
from index.letters import load_letter
from index.loaders import RawDocument
from index.metadata import read_metadata
from index.models import Letter


@cache
def letter(prefix: str) -> Letter:
    return load_letter(letter_path(prefix))


def clean(text: str):
    raw = RawDocument(Path("fragment.txt"), [text], "")
    return clean_document(raw, read_metadata(text))


def headings(item: Letter) -> list[str]:
    return [item.text[b.start : b.end] for b in item.blocks if b.kind == "heading"]


def join(left: str, right: str, seen: str = "") -> str:
    """Join two lines of a letter whose other text is ``seen``."""
    return join_lines(left, right, word_counts(f"{seen}\n{left}\n{right}"))[0]


# --- hyphenation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "left, right, joined",
    [
        # 000: words split at the line end are joined ...
        (
            "voor zowel het terug-",
            "dringen van irreguliere migratie",
            "voor zowel het terugdringen van irreguliere migratie",
        ),
        ("waarbij op verschil-", "lende niveaus", "waarbij op verschillende niveaus"),
        (
            "bespreekbaar kunnen worden. Ontwikke-",
            "lingssamenwerking blijft",
            "bespreekbaar kunnen worden. Ontwikkelingssamenwerking blijft",
        ),
        (
            "Nederland neemt actief deel aan de EU-migratie-",
            "dialogen met",
            "Nederland neemt actief deel aan de EU-migratiedialogen met",
        ),
        # ... real hyphens stay: before a capital or digit, after an acronym, digit or single letter
        ("partnerlanden in Noord- en West-", "Afrika, de Sahel", "partnerlanden in Noord- en West-Afrika, de Sahel"),
        ("in de Sahel en het Midden-", "Oosten.", "in de Sahel en het Midden-Oosten."),
        (
            "Nederland roept in samenwerking met andere EU-",
            "lidstaten, tot op",
            "Nederland roept in samenwerking met andere EU-lidstaten, tot op",
        ),
        (
            "vanuit Nederland naar landen van herkomst. COVID-",
            "19 maatregelen",
            "vanuit Nederland naar landen van herkomst. COVID-19 maatregelen",
        ),
        (
            "De secundaire gevolgen van COVID-19-",
            "maatregelen, zoals",
            "De secundaire gevolgen van COVID-19-maatregelen, zoals",
        ),
        (
            "een afweging van het migratiebelang vis-a-",
            "vis overige belangen",
            "een afweging van het migratiebelang vis-a-vis overige belangen",
        ),
        ("aanpak van (jeugd-", ")werkeloosheid, waar", "aanpak van (jeugd-)werkeloosheid, waar"),
        # suspended compounds keep hyphen and space
        (
            "Daarnaast is de samenwerking met herkomst-",
            "en transitlanden geïntensiveerd",
            "Daarnaast is de samenwerking met herkomst- en transitlanden geïntensiveerd",
        ),
        # web addresses keep their hyphens
        (
            "5 https://ec.europa.eu/home-affairs/what-we-do/policies/european-agenda-",
            "migration/20200318_managing",
            "5 https://ec.europa.eu/home-affairs/what-we-do/policies/european-agenda-migration/20200318_managing",
        ),
    ],
)
def test_line_end_hyphens(left, right, joined):
    assert join(left, right) == joined


def test_hyphenated_form_seen_elsewhere_is_kept():
    # 002 writes "out-of-the-box"; split at one of its hyphens, the compound keeps it.
    seen = "het verder uitwerken van “out-of-the-box”- oplossingen in Europees verband"
    assert (
        join("het verder uitwerken van out-of-the-", "box oplossingen", seen)
        == "het verder uitwerken van out-of-the-box oplossingen"
    )
    assert (
        join("het verder uitwerken van uitge-", "werkte oplossingen", seen)
        == "het verder uitwerken van uitgewerkte oplossingen"
    )


def test_hyphens_in_whole_letters():
    text = letter("000").text
    for expected in (
        "voor zowel het terugdringen van irreguliere migratie",
        "op verschillende niveaus",
        "Ontwikkelingssamenwerking blijft zo bij uitstek",
        "de EU-Turkije Verklaring",
        "bestrijding van mensenhandel en -smokkel en opvang in de regio",
        "belangrijke herkomst- en transitlanden",
        "Noord-Afrika",
        "Khartoemproces",
        "het migratiebelang vis-a-vis overige belangen",
    ):
        assert expected in text
    assert "terug- dringen" not in text and "verschil-" not in text
    assert "COVID-19-maatregelen" in letter("004").text
    assert "herkomst- en transitlanden geïntensiveerd" in letter("004").text


# --- page furniture -----------------------------------------------------------------------------

# Letter 001, shortened: letterhead, the end of page 1, and the top of page 3 with the side column
# interleaved (glued onto the first line, its number on the next line, a word split). Trailing
# spaces of the extraction are left out: they play no part.
MINISTRY_FRAGMENT = """\
> Retouradres Postbus 20301 2500 EH  Den Haag
Directoraat-Generaal
Migratie
Aan de Voorzitter van de Tweede Kamer
Bureau Internationale Migratie
der Staten-Generaal
Turfmarkt 147
2511 DP  Den Haag
www.rijksoverheid.nl/jenv
Ons kenmerk

2971694
Bij beantwoording de datum
en ons kenmerk vermelden.
Datum 10 juli 2020
Onderwerp Uitvoering motie Becker cs. over uitvoering van de

regeerakkoordafspraken over migratieovereenkomsten


3
Van belang is ook de BHOS-beleidsnota ‘Investeren in Perspectief’ , waarin mede
wordt ingezet op versterkte inzet in regio’s die ook vanuit het perspectief van de
integrale migratieagenda van belang zijn, zoals de Sahel, de Hoorn van Afrika,
Noord-Afrika en het Midden-Oosten.
<RULE>
3
 Kamerstuk 2017/18, 34952, nr. 1

 Pagina 1 van 8


 igewenst. Uw Kamer is toegezegd dat hierover desgewenst een vertrouwelijke Directoraat-Generaal
Migratie
t echnische briefing kan worden gegeven.
Bureau Internationale

Migratie

Voor een aantal landen heeft de Europese Commissie een

onderhandelingsmandaat om te komen tot een visumfacilitatieovereenkomst en
Datum
10 juli 2020
de daaraan gekoppelde terug & overnameovereenkomst. Voor landen waar dit

Ons kenmerk
mandaat ontbreekt en geen visumfacilitatieovereenkomst is aangegaan, kunnen
2971694
lidstaten eigenstandig onderhandelen over vrijstelling van de visumplicht voor
 Pagina 3 van 8
""".replace("<RULE>", " " * 48)  # the rule above the footnotes is a line of spaces


def test_ministry_fragment_is_cleaned_completely():
    result = clean(MINISTRY_FRAGMENT)
    assert result.text == (
        "Van belang is ook de BHOS-beleidsnota ‘Investeren in Perspectief’, waarin mede wordt ingezet op "
        "versterkte inzet in regio’s die ook vanuit het perspectief van de integrale migratieagenda van belang "
        "zijn, zoals de Sahel, de Hoorn van Afrika, Noord-Afrika en het Midden-Oosten.\n\n"
        "igewenst. Uw Kamer is toegezegd dat hierover desgewenst een vertrouwelijke technische briefing kan "
        "worden gegeven.\n\n"
        "Voor een aantal landen heeft de Europese Commissie een onderhandelingsmandaat om te komen tot een "
        "visumfacilitatieovereenkomst en de daaraan gekoppelde terug & overnameovereenkomst. Voor landen waar "
        "dit mandaat ontbreekt en geen visumfacilitatieovereenkomst is aangegaan, kunnen lidstaten eigenstandig "
        "onderhandelen over vrijstelling van de visumplicht voor"
    )
    assert result.pages == [(0, 1), (result.text.index("igewenst"), 3)]
    (note,) = result.footnotes
    assert (note.number, note.text, note.page) == ("3", "Kamerstuk 2017/18, 34952, nr. 1", 1)
    assert result.text[: note.marker_offset].endswith("Investeren in Perspectief’")


def test_side_column_is_learned_not_hard_coded():
    # The same fragment with another department and kenmerk: those values go as well.
    other = MINISTRY_FRAGMENT.replace("Bureau Internationale", "Asiel, Opvang en Terugkeer").replace(
        "2971694", "3001668"
    )
    text = clean(other).text
    for leftover in ("Asiel, Opvang", "3001668", "Directoraat", "Migratie\n", "Datum", "kenmerk", "Pagina"):
        assert leftover not in text


@pytest.mark.parametrize("prefix", ["001", "004"])
def test_ministry_letters_lose_all_furniture(prefix):
    item = letter(prefix)
    for line in item.text.split("\n"):
        for furniture in ("Ons kenmerk", "Pagina", "Directoraat-Generaal", "Retouradres", "Postbus", "www.rijksoverheid.nl",
                          "Bij beantwoording", "Wilt u slechts", "Bureau Internationale", "Asiel, Opvang en Terugkeer",
                          item.kenmerk, "10 juli 2020", "11 januari 2021", "Turfmarkt"):  # fmt: skip
            assert furniture not in line
    assert not re.search(r"(?m)^(Datum|Migratie)\s*$", item.text)


def test_glued_side_column_is_cut_from_the_text_line():
    assert "desgewenst een vertrouwelijke technische briefing kan worden gegeven" in letter("001").text
    assert "van het redden van gestrande migranten in de woestijn" in letter("001").text
    text = letter("004").text
    assert "Ten derde is de samenwerking verder aangehaald tussen BZ/BHOS" in text
    assert "in samenwerking met de Vereniging van Nederlandse Gemeenten" in text


def test_words_split_by_the_side_column_are_mended():
    text = letter("004").text
    for mended in ("De intensivering vond plaats", "asielopvang en terugkeer dan wel integratie", "opgenomen dat de toekomstige overeenkomst",
                   "(workinnl.nl) waar migranten", "Daarom hebben de leden", "een pakket aan ondersteuningsmaatregelen"):  # fmt: skip
        assert mended in text
    assert "technische briefing" in letter("001").text
    assert "u wijzen op de uitvoering" in text  # the word "u" is never glued to its neighbour


def test_kamerstuk_footer_and_bracket_page_numbers_leave_the_text():
    assert "vergaderjaar" not in letter("000").text
    text = letter("003").text
    assert "[12]" not in text and "[15]" not in text
    assert not re.search(r"(?m)^[^\s]$", text)  # stray one-character lines ("w", "[") are gone
    assert text.count("EMN Asylum and Migration Glossary") <= 1  # a line repeated 3+ times is furniture


def test_ocr_slips_in_the_report():
    text = letter("003").text
    assert "Syrië (6,4 miljoen)" in text and "financiële steun" in text  # OCR "é" for "ë"
    assert "• Wereldwijd zijn er circa 281 miljoen" in text  # "«" bullet
    assert "Syrié" not in text and "«" not in text


# --- words the extraction glued together -------------------------------------------------------

# index/corpus/003_*.txt, page 1: the running text names the report, its footnote lost a space.
STAAT_VAN_MIGRATIE = """Voor een gedetailleerd overzicht van cijfermatige en beleidsmatige ontwikkelingen op het terrein van migratie (nationaal
en internationaal) wordt verwezen naar de Staat van Migratie.? Voor een overzicht van de gehele inzet op ontwikkelings-
hulp wordt verwezen naar de jaarlijkse resultaten rapportage.*

' Kamerstuk 36 g10V, nr 49

2 Hoofdlijnenakkoord ‘Hoop, Lef en Trots’ | Regering | Rijksoverheid.nl
3 Staatvan migratie 2024
"""


def test_a_word_glued_to_van_is_split_where_the_letter_writes_it_apart():
    cleaned = clean(STAAT_VAN_MIGRATIE)
    notes = [note.text for note in cleaned.footnotes]
    assert "Staat van migratie 2024" in notes, notes
    assert "Staatvan" not in cleaned.text + " ".join(notes)


def test_the_report_cites_the_staat_van_migratie_with_its_spaces():
    item = letter("003")
    assert "Staat van migratie 2024" in [note.text for note in item.footnotes]
    assert "Staatvan" not in item.text + " ".join(note.text for note in item.footnotes)


@pytest.mark.parametrize(
    "text, glued",
    [
        # the letter never writes the parts apart: compounds stay whole
        ("Het kabinet zet in op migratiesamenwerking. Daarvan is de Staatvan migratie een voorbeeld.", "Staatvan"),
        # the parts stand apart elsewhere, but not next to the same word
        ("De Staat van Nederland besluit. Zie ook Staatvan migratie 2024.", "Staatvan"),
        # a two-letter part ("er" + "op") is too short to go on
        ("Het beleid is er op gericht. De inzet is erop gericht.", "erop"),
        # the word occurs twice as one: it is how the letter spells it
        ("Het is daar van belang. Daarvan is sprake, en daarvan blijkt ook.", "daarvan"),
    ],
)
def test_words_are_only_split_on_the_letters_own_evidence(text, glued):
    assert glued in clean(text).text


# --- footnotes ---------------------------------------------------------------------------------


def test_glued_markers_become_footnotes():
    item = letter("000")
    text = item.text
    notes = {note.number: note for note in item.footnotes}
    assert sorted(notes, key=int) == [str(n) for n in range(1, 10)]
    for number, before in [("1", "motie van het lid Becker c.s."), ("2", "de Integrale Migratieagenda"),
                           ("3", "«Investeren in Perspectief»"), ("4", "met derde landen te verbeteren"),
                           ("7", "vanuit Turkije naar de EU"), ("9", "de migratiesamenwerking met Turkije")]:  # fmt: skip
        assert text[: notes[number].marker_offset].endswith(before)
    for glued in ("c.s.1", "Migratieagenda2", "Perspectief»3", "verbeteren4", "gegeven5", "EU7"):
        assert glued not in text
    assert (
        notes["4"].text
        == "https://www.consilium.europa.eu/register/en/content/out?&typ=ENTRY&i=ADV&DOC_ID=ST-7256–2020-INIT"
    )
    assert notes["4"].page == 4
    assert (notes["6"].text, notes["6"].page) == ("Kamerstuk 21 501-03, nr. 142", 5)
    assert notes["9"].text.endswith("staatssecretaris-bezoekt-migratiepartner-turkije")
    assert notes["1"].text == ""  # page 1's notes are missing from this extraction


def test_footnote_texts_leave_the_running_text():
    assert "https://" not in letter("000").text
    assert "Kamerstuk 21 501-03" not in letter("000").text
    assert "Kamerstukken II" not in letter("001").text and "Kamerstukken II" not in letter("004").text


def test_numbers_in_running_text_are_not_markers():
    text = letter("000").text
    for kept in ("EUR 6 miljard", "2.134 migranten", "1) het voorkomen van irreguliere migratie", "circa 650.000 vaccinaties",
                 "sinds 4 maart 2016 tot 1 april 2020", "het 1:1 mechanisme", "de huidige COVID-19 crisis"):  # fmt: skip
        assert kept in text


def test_markers_on_their_own_line():
    item = letter("001")
    notes = {note.number: note for note in item.footnotes}
    assert notes["1"].text == "Kamerstukken II 2019/20, 35 300 VI, nr. 37"
    assert "vaccinaties aan kinderen zijn gegeven. De Europese Commissie" in item.text  # gap closed
    assert item.text[: notes["5"].marker_offset].endswith("kinderen zijn gegeven")
    bisschop = {note.number: note for note in letter("004").footnotes}["11"]
    assert letter("004").text[: bisschop.marker_offset].endswith("ingediende motie Bisschop")
    assert bisschop.text == "Kamerstukken II 2019/20, 19637, nr. 2623."


# --- pages -------------------------------------------------------------------------------------


def test_pages_of_the_kamerstuk_run_from_one():
    item = letter("000")
    numbers = [number for _, number in item.pages]
    offsets = [offset for offset, _ in item.pages]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 5
    assert offsets == sorted(offsets) and offsets[0] == 0
    assert item.page_at(item.text.index("overlastgevers, ook daadwerkelijk vertrekken")) == 2
    assert item.page_at(item.text.index("maar kan de samenwerking ook andere vormen aannemen")) == 5  # the footer's "5"


def test_pages_from_other_markers():
    item = letter("001")
    assert [number for _, number in item.pages] == [1, 3, 5, 7]  # "Pagina N van 8": odd pages only
    assert item.page_at(item.text.index("De Oostelijke route")) == 5
    item = letter("002")
    assert [number for _, number in item.pages] == [1, 2, 3, 4, 5, 6]  # pages apart by blank-line runs
    assert item.page_at(item.text.index("samenwerking en inzet te versterken")) == 2
    item = letter("003")
    assert item.page_at(item.text.index("ontwikkeling van capaciteiten en vaardigheden")) == 12  # "[12]"
    assert item.page_at(item.text.index("focusgebieden van Prospects")) == 16  # after "[15]"


# --- paragraphs and headings -------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_blocks_cover_the_text_with_single_blank_lines(prefix):
    item = letter(prefix)
    assert "\n\n\n" not in item.text
    assert item.blocks[0].start == 0 and item.blocks[-1].end == len(item.text)
    for block, following in zip(item.blocks, item.blocks[1:], strict=False):
        assert item.text[block.end : following.start] == "\n\n"
    for block in item.blocks:
        body = item.text[block.start : block.end]
        assert body and "\n" not in body and body == body.strip() and "  " not in body


def test_paragraphs_continue_across_pages():
    assert "zeker ook de categorie overlastgevers, ook daadwerkelijk vertrekken" in letter("000").text
    assert "mensen en middelen ingezet om deze samenwerking en inzet te versterken" in letter("002").text


def test_headings():
    assert headings(letter("000")) == ["Instrumenten", "Europees spoor", "De Oostelijke route", "De Centrale route",
                                      "De Westelijke route", "Tot slot"]  # fmt: skip
    assert {"Focuslanden", "Migratie-inzet", "EU-inzet", "Tot slot"} <= set(headings(letter("002")))
    assert "2. Versterken opvang en bescherming voor vluchtelingen en ontheemden in de regio" in headings(letter("004"))
    assert "Overkoepelend: de nieuwe voorstellen van de Europese Commissie" in headings(letter("004"))
    assert {"1 Migratie context wereldwijd", "3 Verdieping opvang in de regio", "Visumbeleid"} <= set(
        headings(letter("003"))
    )
    # signatures and sentence ends are not headings
    assert not any(h.startswith(("A. Broekers", "S.A.", "Ankie")) for p in ("000", "004") for h in headings(letter(p)))
