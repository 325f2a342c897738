"""Two extractions of the July 2020 letter become one canonical letter; nothing else merges."""

from __future__ import annotations

import random
from functools import cache

from conftest import LETTERS

from index.dedup import SAME_LETTER, containment, merge_duplicates, shingles
from index.letters import load_letters


@cache
def bundled():
    letters, errors = load_letters([LETTERS])
    assert not errors
    return {letter.id[:3]: letter for letter in letters}


def test_only_the_two_extractions_are_the_same_letter():
    letters = bundled()
    grams = {key: shingles(letter.text) for key, letter in letters.items()}
    for a in grams:
        for b in grams:
            if a < b:
                same = containment(grams[a], grams[b]) >= SAME_LETTER
                assert same == ({a, b} == {"000", "001"}), (a, b)


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
