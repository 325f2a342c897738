"""The bundled evaluation set is grounded in the letters, well formed and well mixed; the
matching and loading helpers behave on real fragments and on bad input."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache

import pytest
from helpers import LETTERS, letter_path

from eval.dataset import LANGUAGES, RETRIEVAL_SPLITS, SPLITS, TYPES, DatasetError, load_dataset
from eval.matching import contains, normalize

SPLIT_ITEMS = {name: load_dataset(path) for name, path in SPLITS.items()}
ITEMS = [item for items in SPLIT_ITEMS.values() for item in items]
ANSWERABLE = [item for item in ITEMS if item.answerable]
MIN_ITEMS = {"dev": 120, "dev2": 100, "test": 80, "nearmiss": 24}
DEV_IDS = {item.id for item in SPLIT_ITEMS["dev"]}
# 001 is the ministry's own PDF of the letter published as Kamerstuk 000: one letter, two files.
SAME_LETTER = {"001_17c0af6e84908666": "000_6f008f4da8a68f2b"}
# Page furniture that must never sit inside an evidence span.
FURNITURE = re.compile(r"Pagina \d+ van \d+|Tweede Kamer, vergaderjaar|Directoraat-Generaal|https?://")


@cache
def letter_text(letter_id: str) -> str:
    path = LETTERS / f"{letter_id}.txt"
    assert path.is_file(), f"unknown letter {letter_id!r}"
    return path.read_text(encoding="utf-8")


def raw(prefix: str) -> str:
    return letter_path(prefix).read_text(encoding="utf-8")


# ------------------------------------------------------------------------ the bundled set
@pytest.mark.parametrize("item", ANSWERABLE, ids=lambda item: item.id)
def test_every_evidence_span_occurs_in_its_letter(item):
    for evidence in item.evidence:
        assert contains(letter_text(evidence.letter), evidence.text), f"{item.id}: {evidence.text[:60]}"


@pytest.mark.parametrize("item", ANSWERABLE, ids=lambda item: item.id)
def test_evidence_spans_are_single_runs_of_10_to_60_words(item):
    for evidence in item.evidence:
        assert "\n" not in evidence.text
        if evidence.text.startswith(LETTERHEAD_FIELDS):
            continue  # a letterhead field ("Ons kenmerk 2971694") is short by nature
        # Long enough not to match by chance; the test split (written apart) keeps some spans of 5-9 words.
        shortest = 10 if item.id in DEV_IDS else 5
        assert shortest <= len(evidence.text.split()) <= 60, f"{item.id}: {len(evidence.text.split())} words"
        assert not FURNITURE.search(evidence.text), f"{item.id}: page furniture in span"


LETTERHEAD_FIELDS = ("Ons kenmerk ", "Datum ", "Onderwerp ")


@pytest.mark.parametrize("item", ANSWERABLE, ids=lambda item: item.id)
def test_key_facts_are_grounded_in_the_evidence_and_given_by_the_reference_answer(item):
    assert 1 <= len(item.key_facts) <= 3
    for fact in item.key_facts:
        grounded = any(contains(e.text, fact) for e in item.evidence) or any(
            contains(letter_text(e.letter), fact) for e in item.evidence
        )
        assert grounded, f"{item.id}: key fact {fact!r} not in its evidence or letter"
        if item.id in DEV_IDS:  # the test split's English references paraphrase the Dutch key facts
            assert contains(item.answer, fact), f"{item.id}: reference answer lacks key fact {fact!r}"


def test_unanswerable_items_carry_no_evidence_or_key_facts():
    unanswerable = [item for item in ITEMS if not item.answerable]
    assert all(item.type == "unanswerable" and not item.evidence and not item.key_facts for item in unanswerable)


@pytest.mark.parametrize("pair", [(a, b) for i, a in enumerate(SPLITS) for b in list(SPLITS)[i + 1 :]], ids="-".join)
def test_the_splits_share_no_item_or_question(pair):
    one, other = (SPLIT_ITEMS[name] for name in pair)
    assert not {i.id for i in one} & {i.id for i in other}
    assert not {normalize(i.question).casefold() for i in one} & {normalize(i.question).casefold() for i in other}


def _grams(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = normalize(text).casefold().split()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.parametrize("split", ["dev2", "nearmiss"])
def test_a_later_tuning_split_quotes_no_evidence_of_the_test_split(split):
    """dev2 and nearmiss are tuned on, so an item whose evidence is a test item's evidence would leak
    test into the tuning: such items were left out when they were assembled, and must stay out."""
    test_grams = [(e.letter, _grams(e.text)) for item in SPLIT_ITEMS["test"] for e in item.evidence]
    for item in SPLIT_ITEMS[split]:
        for evidence in item.evidence:
            mine = _grams(evidence.text)
            for letter, theirs in test_grams:
                if SAME_LETTER.get(letter, letter) == SAME_LETTER.get(evidence.letter, evidence.letter) and mine and theirs:
                    shared = len(mine & theirs) / min(len(mine), len(theirs))
                    assert shared < 0.8, f"{item.id} quotes test evidence ({shared:.2f} of its 5-grams)"


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def test_nearmiss_pairs_each_unanswerable_question_with_an_answerable_twin_of_its_form():
    items = SPLIT_ITEMS["nearmiss"]
    pairs = list(zip(items[::2], items[1::2]))
    assert len(items) == 2 * len(pairs) and len(pairs) >= 12
    for missing, twin in pairs:
        assert not missing.answerable and twin.answerable and twin.type != "multi", (missing.id, twin.id)
        assert missing.language == twin.language
    forms = Counter(missing.question.split()[0].casefold() for missing, _ in pairs)
    assert len(forms) >= 6 and forms["hoeveel"] <= len(pairs) // 4  # not mostly quantity questions, as dev's are


def test_nearmiss_asks_nothing_close_to_a_test_question():
    """Word overlap (Jaccard) of each nearmiss question with every test question stays below what
    the dropped pairs had (0.45-0.71: the same fact asked in other words)."""
    for item in SPLIT_ITEMS["nearmiss"]:
        mine = _words(item.question)
        closest = max(len(mine & _words(t.question)) / len(mine | _words(t.question)) for t in SPLIT_ITEMS["test"])
        assert closest < 0.45, item.id


def test_dev_en_asks_every_dutch_dev_and_dev2_question_in_english_about_the_same_facts():
    dutch = {i.id: i for name in ("dev", "dev2") for i in SPLIT_ITEMS[name] if i.language == "nl"}
    english = {i.id.removeprefix("en-"): i for i in SPLIT_ITEMS["dev_en"]}
    assert english.keys() == dutch.keys()
    for key, twin in english.items():
        original = dutch[key]
        assert twin.language == "en" and twin.question != original.question
        assert (twin.evidence, twin.key_facts, twin.type, twin.answerable) == (
            original.evidence, original.key_facts, original.type, original.answerable
        )


@pytest.mark.parametrize("split", RETRIEVAL_SPLITS)
def test_the_set_has_the_required_mix(split):
    items = SPLIT_ITEMS[split]
    types = Counter(item.type for item in items)
    languages = Counter(item.language for item in items)
    assert len(items) >= MIN_ITEMS[split]
    assert types["paraphrase"] * 3 >= len(items)
    assert types["unanswerable"] >= 12
    assert set(types) == set(TYPES)
    multi = [item for item in items if item.type == "multi"]
    distinct = {item.id: {SAME_LETTER.get(e.letter, e.letter) for e in item.evidence} for item in multi}
    assert len(multi) >= 12 and all(len(letters) >= 2 for letters in distinct.values()), distinct
    assert set(languages) == set(LANGUAGES)
    assert 0.15 <= languages["en"] / len(items) <= 0.25
    assert {item.type for item in items if item.language == "en"} == set(TYPES)  # English across all types


@pytest.mark.parametrize("split", RETRIEVAL_SPLITS)
def test_every_letter_is_covered_and_the_largest_one_most(split):
    per_letter = Counter(SAME_LETTER.get(e.letter, e.letter) for item in SPLIT_ITEMS[split] for e in item.evidence)
    bundled = {p.stem for p in LETTERS.glob("*.txt")} - set(SAME_LETTER)
    assert set(per_letter) == bundled
    assert per_letter.most_common(1)[0][0] == "003_03f947c30766b98f"


# ------------------------------------------------------------------------------- normalize
def test_line_end_hyphenation_is_joined():
    fragment = "terug-\ndringen"
    assert fragment in raw("000")
    assert normalize(fragment) == "terugdringen"
    assert contains(raw("000"), "voor zowel het terugdringen van irreguliere migratie")


def test_a_hyphen_before_a_capital_or_after_an_abbreviation_stays():
    assert normalize("EU-\nTurkije") == "EU-Turkije"
    assert "Midden-\nOosten" in raw("003") and normalize("Midden-\nOosten") == "Midden-Oosten"
    assert "andere EU-\nlidstaten" in raw("002") and normalize("andere EU-\nlidstaten") == "andere EU-lidstaten"
    assert "COVID-19-\nmaatregelen" in raw("004") and normalize("COVID-19-\nmaatregelen") == "COVID-19-maatregelen"


def test_a_suspended_compound_keeps_its_hyphen():
    assert normalize("mensenhandel en -smokkel") == "mensenhandel en -smokkel"
    fragment = "de migratie- \nen strafrechtketen"
    assert fragment in raw("004")
    assert normalize(fragment) == "de migratie- en strafrechtketen"


def test_both_extractions_of_one_sentence_normalize_alike():
    def sentence(text: str) -> str:
        start = text.index("Luchtvaartver")
        return normalize(text[start : text.index("migratiebeleid.", start) + len("migratiebeleid.")])

    # 000 breaks "Luchtvaartver-\ndragen" and uses en dashes; 001 mixes "–" and "-" and breaks elsewhere.
    assert sentence(raw("000")) == sentence(raw("001")) == (
        "Luchtvaartverdragen - Europees of bilateraal - bevatten doorgaans geen rechtsgrond "
        "voor de gezochte koppeling aan migratiebeleid."
    )


def test_quotes_and_whitespace_are_unified():
    assert normalize(" BHOS-beleidsnota «Investeren  in\nPerspectief» ") == 'BHOS-beleidsnota "Investeren in Perspectief"'
    assert normalize("regio’s") == "regio's"


def test_contains_ignores_case():
    assert contains(raw("002"), "Terugkeerhubs")
    assert not contains(raw("002"), "terugkeerhubs in Rwanda")


# ---------------------------------------------------------------------------- load_dataset
VALID = {
    "id": "t1",
    "question": "Hoeveel vreemdelingen verblijven onrechtmatig in Nederland?",
    "answer": "Tussen 23.000 en 58.000.",
    "evidence": [{"letter": "004_e0a75123764b20dc", "text": "tussen 23.000 en 58.000"}],
    "key_facts": ["23.000"],
    "type": "number",
    "language": "nl",
    "answerable": True,
}


def _write(tmp_path, *lines: str):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_valid_file_loads_and_blank_lines_are_skipped(tmp_path):
    other = {**VALID, "id": "t2", "type": "unanswerable", "answerable": False, "evidence": [], "key_facts": []}
    items = load_dataset(_write(tmp_path, json.dumps(VALID), "", json.dumps(other)))
    assert [i.id for i in items] == ["t1", "t2"]
    assert items[0].evidence[0].letter == "004_e0a75123764b20dc"


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({k: v for k, v in VALID.items() if k != "answer"}), "missing field(s): answer"),
        (json.dumps({**VALID, "source": "x"}), "unknown field(s): source"),
        (json.dumps({**VALID, "type": "trivia"}), "unknown type 'trivia'"),
        (json.dumps({**VALID, "language": "de"}), "unknown language 'de'"),
        (json.dumps({**VALID, "evidence": []}), "answerable item without evidence"),
        (json.dumps({**VALID, "answerable": False, "type": "unanswerable", "key_facts": []}), "unanswerable item with evidence"),
        (json.dumps({**VALID, "type": "unanswerable"}), "type 'unanswerable' must go with answerable false"),
        (json.dumps({**VALID, "evidence": [{"letter": "004"}]}), "each evidence entry"),
        (json.dumps({**VALID, "type": "multi"}), "multi item needs evidence from at least two letters"),
        (json.dumps(VALID), "duplicate id 't1'"),
    ],
)
def test_a_bad_line_is_reported_with_file_and_line(tmp_path, bad_line, message):
    path = _write(tmp_path, json.dumps(VALID), bad_line)
    with pytest.raises(DatasetError) as error:
        load_dataset(path)
    assert str(error.value).startswith(f"{path}:2: ")
    assert message in str(error.value)


def test_a_missing_file_is_reported_by_name(tmp_path):
    with pytest.raises(DatasetError, match="nothere.jsonl: cannot read dataset"):
        load_dataset(tmp_path / "nothere.jsonl")
