"""Files merge only when they hold the same letter: the two extractions of the July 2020 letter do;
files that share a long heading or boilerplate and differ in a short body never do."""

from __future__ import annotations

import random
from pathlib import Path
import re
from dataclasses import replace
from functools import cache

import pytest

from index.config import bundled_letters_dir
from index.dedup import merge_duplicates, same_letter_pairs, shingles
from index.letters import load_letters

# Real text: the title of the Algemene wet gelijke behandeling (Stb. 1994, 230) and articles of it,
# laid out as an archive of one file per article, each opening with the law's long heading.
LAW_HEADING = (
    "Wet van 2 maart 1994, houdende algemene regels ter bescherming tegen discriminatie op grond van "
    "godsdienst, levensovertuiging, politieke gezindheid, ras, geslacht, nationaliteit, hetero- of "
    "homoseksuele gerichtheid of burgerlijke staat\n\n"
    "Hoofdstuk 1\n\nGelijke behandeling van personen ongeacht hun godsdienst, levensovertuiging, politieke "
    "gezindheid, ras, geslacht, nationaliteit, hetero- of homoseksuele gerichtheid of burgerlijke staat\n\n"
    "§ 5\n\nBescherming en handhaving\n\n"
)
ARTICLES = {
    "artikel-6": "Artikel 6\n\nOnderscheid is verboden met betrekking tot de voorwaarden voor en de toegang tot het "
    "vrije beroep en de mogelijkheden tot uitoefening van en ontplooiing binnen het vrije beroep.",
    "artikel-8-lid-1-2": "Artikel 8\n\n1. Beëindiging van de arbeidsverhouding door de werkgever in strijd met "
    "artikel 5 of wegens de omstandigheid dat de werknemer in of buiten rechte een beroep heeft gedaan op artikel 5 "
    "of terzake bijstand heeft verleend, is vernietigbaar.\n2. Onverminderd hoofdstuk 8 van de Algemene wet "
    "bestuursrecht, vervalt twee maanden na de beëindiging van de arbeidsverhouding de bevoegdheid van de werknemer "
    "een beroep te doen op de vernietigingsgrond, bedoeld in het eerste lid.",
    "artikel-8-lid-3-4": "Artikel 8\n\n3. Een rechtsvordering in verband met de vernietiging verjaart door verloop "
    "van zes maanden na de dag waarop de arbeidsverhouding is geëindigd.\n4. De beëindiging, bedoeld in het eerste "
    "lid, maakt de werkgever niet schadeplichtig.",
    "artikel-8a": "Artikel 8a\n\n1. Het is verboden personen te benadelen wegens het feit dat zij in of buiten "
    "rechte een beroep hebben gedaan op deze wet of ter zake bijstand hebben verleend.",
    "artikel-9": "Artikel 9\n\nBedingen in strijd met deze wet zijn nietig.",
    "artikel-11": "Artikel 11\n\nVervallen.",
    "artikel-12": "Artikel 12\n\nVervallen.",
    "artikel-34": "Artikel 34\n\nDeze wet treedt in werking met ingang van de eerste dag van de zesde kalendermaand "
    "na de datum van uitgifte van het Staatsblad waarin zij wordt geplaatst.",
}


@cache
def bundled():
    letters, errors = load_letters([bundled_letters_dir()])
    assert not errors
    return {letter.id[:3]: letter for letter in letters}


@pytest.fixture()
def law_folder(tmp_path):
    folder = tmp_path / "wet"
    folder.mkdir()
    for name, article in ARTICLES.items():
        (folder / f"{name}.txt").write_text(LAW_HEADING + article + "\n", encoding="utf-8")
    return folder


def test_only_the_two_extractions_are_the_same_letter():
    letters = sorted(bundled().values(), key=lambda letter: letter.id)
    pairs = {(letters[i].id[:3], letters[j].id[:3]) for i, j in same_letter_pairs(letters)}
    assert pairs == {("000", "001")}


def test_shingles_ignore_case_accents_and_punctuation():
    assert shingles("De EU-Turkije Verklaring, geïntensiveerd") == shingles("de eu turkije verklaring geintensiveerd")


def test_official_publication_is_kept_and_completed_from_the_ministry_pdf():
    letters = bundled()
    merged = {letter.id[:3]: letter for letter in merge_duplicates(list(letters.values()))}
    assert sorted(merged) == ["000", "002", "003", "004"]
    canonical = merged["000"]
    assert canonical.text == letters["000"].text
    assert canonical.aliases == [letters["001"].id]
    assert canonical.kamerstuk == "19 637, nr. 2675"
    assert (canonical.date, canonical.kenmerk) == ("2020-07-10", "2971694")  # from 001
    assert canonical.title == letters["001"].title  # the onderwerp beats a first-sentence title
    assert canonical.addressee == "Aan de Voorzitter van de Tweede Kamer der Staten-Generaal"
    notes = {note.number: note for note in canonical.footnotes}
    assert notes["1"].text == "Kamerstukken II 2019/20, 35 300 VI, nr. 37"  # text from 001 ...
    assert canonical.text[: notes["1"].marker_offset].endswith("Becker c.s.")  # ... marker from 000
    assert notes["4"].text.startswith("https://www.consilium.europa.eu/")
    assert not letters["000"].footnotes[0].text  # the loaded letter itself is left alone


def test_the_other_extraction_fills_in_missing_signatories():
    letters = bundled()
    unsigned = replace(letters["000"], signatories=[])  # as if the ministry PDF kept the last page, not the publication
    signed = replace(letters["001"], signatories=letters["000"].signatories)
    merged = {letter.id[:3]: letter for letter in merge_duplicates([unsigned, signed, letters["004"]])}
    assert merged["000"].signatories == letters["000"].signatories
    assert merged["004"].signatories == [("Ankie Broekers-Knol", "de Staatssecretaris van Justitie en Veiligheid")]


def test_files_sharing_a_long_heading_with_short_bodies_stay_apart(law_folder):
    letters, errors = load_letters([law_folder])
    assert not errors and len(letters) == len(ARTICLES)
    merged = merge_duplicates(letters)
    assert sorted(letter.id for letter in merged) == sorted(ARTICLES)  # the two "Vervallen." articles included
    assert all(not letter.aliases for letter in merged)


def test_an_exact_copy_merges_even_when_short(law_folder):
    (law_folder / "kopie-artikel-9.txt").write_text(LAW_HEADING + ARTICLES["artikel-9"] + "\n", encoding="utf-8")
    letters, _ = load_letters([law_folder])
    merged = {letter.id: letter for letter in merge_duplicates(letters)}
    assert "kopie-artikel-9" not in merged
    assert merged["artikel-9"].aliases == ["kopie-artikel-9"]


def test_a_shared_passage_does_not_make_two_letters_one():
    """004 with a long passage of 002 pasted in (an answer reused in another letter) stays its own letter."""
    letters = bundled()
    a, b = letters["004"], letters["002"]
    quoted = replace(a, id="004-with-quote", text=a.text + "\n\n" + b.text[: len(b.text) // 2], blocks=[])
    assert same_letter_pairs(sorted([quoted, b], key=lambda letter: letter.id)) == []


def test_a_next_edition_with_other_years_is_another_document():
    """003 with every year 2010-2024 moved on by one: the same wording, another report."""
    report = bundled()["003"]
    years_on = re.sub(r"\b20(1\d|2[0-4])\b", lambda m: str(int(m.group(0)) + 1), report.text)
    edition = replace(report, id="003-next-edition", text=years_on, blocks=[])
    assert same_letter_pairs([report, edition]) == []


def test_lost_pages_do_not_merge_letters_that_declare_different_dates():
    letters = bundled()
    full, partial = letters["000"], replace(letters["001"], kenmerk=None)
    assert same_letter_pairs([full, partial]) == [(0, 1)]
    assert same_letter_pairs([replace(full, date="2021-01-11"), partial]) == []


def test_result_does_not_depend_on_input_order():
    letters = list(bundled().values())
    expected = [letter.to_dict() for letter in merge_duplicates(letters)]
    for seed in range(3):
        shuffled = letters[:]
        random.Random(seed).shuffle(shuffled)
        assert [letter.to_dict() for letter in merge_duplicates(shuffled)] == expected


def test_distinct_letters_pass_unchanged():
    letters = bundled()
    distinct = [letters["004"], letters["002"]]
    assert merge_duplicates(distinct) == [letters["002"], letters["004"]]


def test_files_of_one_name_in_two_folders_are_two_letters(tmp_path):
    for sub, article in (("a", "artikel-6"), ("b", "artikel-34")):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "artikel.txt").write_text(LAW_HEADING + ARTICLES[article], encoding="utf-8")
    letters, _ = load_letters([tmp_path / "a", tmp_path / "b"])
    ids = [letter.id for letter in merge_duplicates(letters)]
    assert len(ids) == len(set(ids)) == 2 and "artikel" in ids


@pytest.mark.slow
def test_every_article_file_is_searchable_after_indexing(law_folder, config, embedder):
    from index.build import build_index
    from index.store import load_index
    from rag.retrieve import Retriever

    report = build_index([law_folder], config, embedder=embedder)
    assert report.letters == len(ARTICLES) and report.duplicates == {}
    store = load_index(config.index_dir)
    assert set(store.letters) == set(ARTICLES)
    retriever = Retriever(store, embedder, config.retrieval)
    for name, article in ARTICLES.items():
        body = article.split("\n\n", 1)[1]
        assert any(body.split("\n")[0] in p.text for p in store.passages if p.letter == name), name
        if body != "Vervallen.":
            top = retriever.retrieve(body, k=3).sources[0]
            assert top.letter.id == name, (name, top.letter.id)


@pytest.mark.slow
def test_cli_names_every_merge_shows_sources_and_can_keep_copies(law_folder, config, rag_home, monkeypatch, capsys):
    import json

    from ui.cli import main as rag

    monkeypatch.setenv("RAG_HOME", str(rag_home))
    (law_folder / "kopie-artikel-9.txt").write_text(LAW_HEADING + ARTICLES["artikel-9"] + "\n", encoding="utf-8")
    assert rag(["index", str(law_folder), "--index", str(config.index_dir)]) == 0
    err = capsys.readouterr().err
    assert "merged kopie-artikel-9 into artikel-9 (same letter)" in err
    assert f"Indexed {len(ARTICLES)} letters" in err and "1 file(s) merged" in err
    assert rag(["passages", "--index", str(config.index_dir), "--json", "--letter", "kopie-artikel-9"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and rows[0]["letter"] == "artikel-9" and rows[0]["merged_from"] == ["kopie-artikel-9"]
    assert Path(rows[0]["source"]).name == "artikel-9.txt"

    assert rag(["index", str(law_folder), "--index", str(config.index_dir), "--no-dedup"]) == 0
    assert f"Indexed {len(ARTICLES) + 1} letters" in capsys.readouterr().err
