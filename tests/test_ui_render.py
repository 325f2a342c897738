"""The chat window's HTML: escaping, highlight offsets, clickable citations, abstention; feedback storage."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from helpers import letter_path

from index.letters import load_letter
from index.models import Footnote, Letter, Passage
from rag.types import Answer, Citation, Source
from ui.feedback import record_feedback
from ui.render import answer_html, letter_html, mark_spans, question_html, sources_html, sources_panel

SCRIPT = "<script>alert('x')</script>"
IMG = "<img src=x onerror=alert(1)>"
# Tags ui.render writes itself; anything else in its output came from a letter or a user.
OWN_TAGS = {"a", "article", "br", "button", "details", "div", "h3", "h4", "header", "li", "mark", "ol", "p", "section", "span", "strong", "summary", "ul"}


class Tags(HTMLParser):
    def __init__(self, markup: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_only_own_markup(markup: str) -> None:
    for tag, attrs in Tags(markup).tags:
        assert tag in OWN_TAGS, f"unexpected <{tag}> in {markup[:200]}"
        assert not [a for a in attrs if a.startswith("on")], f"event handler attribute on <{tag}>"


def rean_letter(extra: str = "") -> tuple[Letter, str]:
    """Letter 003 as text (a real letter), optionally with ``extra`` text appended; and its REAN sentence."""
    text = letter_path("003").read_text(encoding="utf-8") + extra
    start = text.index("In 2023 werden vanuit Nederland via het REAN")
    sentence = text[start : text.index("ondersteuning.", start) + len("ondersteuning.")]
    assert sentence.endswith("ondersteuning.") and "1.859 migranten" in sentence
    return Letter(id="003_test", source="003.txt", text=text, title="Staat van migratie", date="2024-06-14"), sentence


def citation_for(letter: Letter, passage_start: int, passage_end: int, sentence: str, n: int = 1) -> Citation:
    passage = Passage(id=f"{letter.id}#{n}", letter=letter.id, text=letter.text[passage_start:passage_end], start=passage_start, end=passage_end, page=31)
    at = letter.text.index(sentence)
    source = Source(rank=n, score=0.5, passage=passage, letter=letter)
    return Citation(n=n, source=source, sentences=[sentence], spans=[(at, at + len(sentence))])


def make_answer(text: str, citations: list[Citation], abstained: bool = False, passages=None, question="Hoeveel migranten keerden terug?") -> Answer:
    return Answer(
        question=question,
        text=text,
        citations=citations,
        passages=passages if passages is not None else [c.source for c in citations],
        abstained=abstained,
        timings={"total": 1.0},
    )


def test_an_undated_report_shows_the_period_it_covers_and_a_letter_with_neither_shows_no_date():
    report = load_letter(letter_path("003"))  # the 2023 BZ report: no letterhead date, "de inspanningen in 2023"
    assert report.date is None and report.period == "2023"
    start = report.text.index("In 2023 werden vanuit Nederland via het REAN")
    sentence = report.text[start : report.text.index("ondersteuning.", start) + len("ondersteuning.")]
    card = sources_html(make_answer(f"{sentence} [1]", [citation_for(report, start, start + len(sentence), sentence)]), turn=0)
    assert "covers 2023" in card and "undated" not in card
    neither = replace(report, period=None)
    card = sources_html(make_answer(f"{sentence} [1]", [citation_for(neither, start, start + len(sentence), sentence)]), turn=0)
    assert "covers" not in card and "undated" not in card and "p. 31" in card


def test_supporting_sentence_is_highlighted_at_its_offsets_in_a_real_letter():
    letter, sentence = rean_letter()
    start = letter.text.index("In 2023 droeg het ministerie")
    end = letter.text.index("ondersteuning.”", start) + len("ondersteuning.”")
    citation = citation_for(letter, start, end, sentence)

    card = sources_html(make_answer(f"{sentence} [1]", [citation]), turn=0)

    before, marked = card.split('<mark class="support">', 1)
    marked, after = marked.split("</mark>", 1)
    assert marked == sentence  # exactly the sentence, no character more or less
    assert before.endswith("doorreis. ")  # the passage text up to the sentence precedes the mark
    assert after.startswith(" Uit landen van")
    assert "In 2023 droeg het ministerie" in before and "ondersteuning.”" in after
    assert 'id="src-0-1"' in card and "p. 31" in card and "Staat van migratie" in card


def test_spans_are_clipped_to_the_passage_and_overlaps_merged():
    text = "abcdefghij"
    assert mark_spans(text, 100, [(95, 102), (101, 104), (108, 120)]) == (
        '<mark class="support">abcd</mark>efgh<mark class="support">ij</mark>'
    )
    assert mark_spans("a<b", 0, []) == "a&lt;b"


def test_script_and_img_in_a_letter_show_as_text_in_cards_answers_and_the_letter_view():
    letter, _ = rean_letter(f"\n\nKwaadaardig: {SCRIPT} en {IMG} einde.")
    letter.title = f"Titel {SCRIPT}"
    letter.footnotes = [Footnote(number="1", text=f"Voetnoot {IMG}")]
    bad = f"Kwaadaardig: {SCRIPT} en {IMG} einde."
    start = letter.text.index(bad)
    citation = citation_for(letter, start - 20, len(letter.text), bad)
    answer = make_answer(f"{bad} [1]", [citation])

    for markup in (answer_html(answer, 0), sources_html(answer, 0), letter_html(letter, citation.source.passage, citation.spans)):
        assert_only_own_markup(markup)
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in markup
        assert "&lt;img src=x onerror=alert(1)&gt;" in markup


def test_question_with_markup_is_shown_literally():
    shown = question_html(IMG)
    assert_only_own_markup(shown)
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown

    letter, sentence = rean_letter()
    at = letter.text.index(sentence)
    answer = make_answer(f"{sentence} [1]", [citation_for(letter, at, at + len(sentence), sentence)], question=IMG)
    turn = {"question": IMG, "sources_html": sources_html(answer, 0)}
    panel = sources_panel([turn])
    assert_only_own_markup(panel)
    assert "<summary>&lt;img src=x onerror=alert(1)&gt;</summary>" in panel


def test_citation_markers_become_links_to_their_source_cards():
    letter, sentence = rean_letter()
    at = letter.text.index(sentence)
    first = citation_for(letter, at, at + len(sentence), sentence, n=1)
    second = citation_for(letter, at, at + len(sentence), sentence, n=2)
    markup = answer_html(make_answer("Eén [1]. Twee [2]. Niet geciteerd [7].", [first, second]), turn=3)

    links = [attrs for tag, attrs in Tags(markup).tags if tag == "a"]
    assert [(a["class"], a["href"]) for a in links] == [("cite", "#src-3-1"), ("cite", "#src-3-2")]
    assert links[0]["title"] == "Staat van migratie (2024-06-14)"
    assert "Niet geciteerd [7]." in markup  # a marker without a citation is left as text
    cards = sources_html(make_answer("x", [first, second]), turn=3)
    assert {attrs.get("id") for tag, attrs in Tags(cards).tags if tag == "article"} == {"src-3-1", "src-3-2"}


def test_a_marker_citing_several_passages_links_each_of_them():
    """The LLM composer writes ``[1, 2]`` for a sentence two passages back (rag.citations)."""
    letter, sentence = rean_letter()
    at = letter.text.index(sentence)
    first = citation_for(letter, at, at + len(sentence), sentence, n=1)
    second = citation_for(letter, at, at + len(sentence), sentence, n=2)
    markup = answer_html(make_answer("Beide [1, 2]. Deels [2, 7]. Niets [7, 8].", [first, second]), turn=0)

    links = [attrs["href"] for tag, attrs in Tags(markup).tags if tag == "a"]
    assert links == ["#src-0-1", "#src-0-2", "#src-0-2"]
    assert '>[1]</a><a class="cite" href="#src-0-2"' in markup  # one link per number, side by side
    assert "</a>[7]." in markup and "Niets [7, 8]." in markup  # numbers without a citation stay text
    assert_only_own_markup(markup)


def test_abstention_is_a_distinct_box_offering_the_closest_passages():
    letter, _ = rean_letter()
    closest = [citation_for(letter, i * 500, i * 500 + 400, letter.text[i * 500 : i * 500 + 50], n=i + 1).source for i in range(4)]
    answer = make_answer("De brieven geven hierop geen antwoord. Dit zijn de passages die er het dichtst bij komen.", [], abstained=True, passages=closest)

    markup = answer_html(answer, turn=2)
    assert markup.startswith('<div class="abstain" role="note">')
    assert "De brieven beantwoorden deze vraag niet" in markup
    assert [a["href"] for tag, a in Tags(markup).tags if tag == "a"] == ["#src-2-c1", "#src-2-c2", "#src-2-c3"]
    cards = sources_html(answer, turn=2)
    assert [a["id"] for tag, a in Tags(cards).tags if tag == "article"] == ["src-2-c1", "src-2-c2", "src-2-c3"]
    assert "<mark" not in cards  # nothing supports an answer that was not given

    answered = answer_html(make_answer("Ja [1].", [citation_for(letter, 0, 400, letter.text[:50])]), turn=2)
    assert "abstain" not in answered and answered.startswith('<div class="answer">')


def test_notices_and_unsupported_sentences_are_shown():
    answer = make_answer("Geen.", [], abstained=False)
    answer.notices = ["De vraag was 2500 tekens lang en is ingekort tot de eerste 2000."]
    answer.unsupported = [f"Een zin {IMG} zonder bron."]
    markup = answer_html(answer, 0)
    assert_only_own_markup(markup)
    assert '<div class="notice" role="status">' in markup and "ingekort tot de eerste 2000" in markup
    assert '<div class="unsupported" role="note">' in markup and "Een zin &lt;img" in markup


def test_letter_view_marks_the_passage_and_its_supporting_sentence():
    letter, sentence = rean_letter()
    start = letter.text.index("In 2023 droeg het ministerie")
    end = letter.text.index("ondersteuning.”", start) + len("ondersteuning.”")
    citation = citation_for(letter, start, end, sentence)

    view = letter_html(letter, citation.source.passage, citation.spans)

    focus = view.split('<mark class="passage" id="letter-focus">', 1)[1]
    assert focus.startswith("In 2023 droeg het ministerie")
    assert focus.split('<mark class="support">', 1)[1].startswith(sentence + "</mark>")
    assert view.count('id="letter-focus"') == 1
    assert 'class="letter-close"' in view


def test_letter_view_names_who_signed_it():
    letter, sentence = rean_letter()
    at = letter.text.index(sentence)
    passage = citation_for(letter, at, at + len(sentence), sentence).source.passage
    assert "ondertekend" not in letter_html(letter, passage, [])  # the report is not signed
    signed = replace(letter, signatories=[("A. Broekers-Knol", "de Staatssecretaris voor Justitie en Veiligheid"), ("S.A. Blok", "de Minister van Buitenlandse Zaken")])
    meta = letter_html(signed, passage, []).split('<div class="meta">', 1)[1].split("</div>", 1)[0]
    assert meta.endswith("ondertekend door A. Broekers-Knol, S.A. Blok")


def test_feedback_round_trip(tmp_path):
    letter, sentence = rean_letter()
    at = letter.text.index(sentence)
    answer = make_answer(f"{sentence} [1]", [citation_for(letter, at, at + len(sentence), sentence)]).to_dict()
    path = tmp_path / "sub" / "feedback.jsonl"

    first = record_feedback(path, answer, "up")
    record_feedback(path, answer, "up", "  Klopt, zie p. 31.  ", feedback_id=first["id"])
    record_feedback(path, answer, "down", "")

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["verdict"] for r in rows] == ["up", "up", "down"]
    assert rows[0]["id"] == rows[1]["id"] != rows[2]["id"]
    assert rows[1]["comment"] == "Klopt, zie p. 31."
    assert rows[0]["question"] == answer["question"] and rows[0]["answer"] == answer["answer"]
    assert rows[0]["citations"][0]["sentences"] == [sentence]
    assert rows[0]["citations"][0]["spans"] == [[at, at + len(sentence)]]
    assert "T" in rows[0]["timestamp"] and rows[0]["timestamp"][:4].isdigit()
    with pytest.raises(ValueError, match="verdict"):
        record_feedback(path, answer, "meh")


def test_concurrent_feedback_writes_stay_whole_lines(tmp_path):
    path = tmp_path / "feedback.jsonl"
    answer = {"question": "q", "answer": "x" * 20000, "citations": []}
    threads = [threading.Thread(target=record_feedback, args=(path, answer, "down", f"c{i}")) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["comment"] for r in rows) == sorted(f"c{i}" for i in range(16))


def test_date_range_fields_are_validated_with_a_clear_message():
    from ui.app import parse_dates, parse_spans

    assert parse_dates(" 2021-01-11 ", "") == ("2021-01-11", None)
    assert parse_dates(None, None) == (None, None)
    with pytest.raises(ValueError, match=r"From date '11-01-2021' is not a date in the form yyyy-mm-dd"):
        parse_dates("11-01-2021", None)
    with pytest.raises(ValueError, match="To date '2023-02-30'"):
        parse_dates(None, "2023-02-30")
    with pytest.raises(ValueError, match="2024-01-01 comes after 2023-01-01"):
        parse_dates("2024-01-01", "2023-01-01")
    assert parse_spans("[[1, 5], [7, 9]]") == [(1, 5), (7, 9)]
    assert parse_spans("<script>") == [] and parse_spans('[["a"]]') == []


def test_the_direct_answer_is_bold_and_its_span_is_marked_in_the_source_card():
    letter, sentence = rean_letter()
    start = letter.text.index(sentence) - 200
    citation = citation_for(letter, start, start + 1200, sentence)
    at = letter.text.index("1.859", start)
    citation.answer_spans = [(at, at + len("1.859"))]
    citation.answer_text = ["1.859"]
    answer = make_answer(f"**1.859** [1].\n{sentence} [1]", [citation])
    markup = answer_html(answer, 0)
    assert '<strong class="direct">1.859</strong>' in markup and "<br>" in markup
    card = sources_html(answer, 0)
    assert '<mark class="answer">1.859</mark> migranten' in card
    assert card.count('<mark class="support">') == 1  # the sentence, the answer span inside it
    assert_only_own_markup(markup + card)
