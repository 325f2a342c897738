"""The citation marker format and citation records (rag.citations), shared by every composer,
the support check, the evaluation and the chat window."""

from __future__ import annotations

from index.models import Letter, Passage
from rag.citations import (
    CitationBuilder,
    Renumberer,
    cited_numbers,
    format_marker,
    link_markers,
    marker_numbers,
    renumber,
    strip_markers,
)
from rag.types import Source


def test_markers_cite_one_or_several_numbers():
    assert format_marker([1]) == "[1]" and format_marker([3, 1]) == "[3, 1]"
    assert marker_numbers("[3, 1]") == [3, 1] and marker_numbers("[12]") == [12]
    assert cited_numbers("A [2]. B [1, 3][2]. C [3 , 4].") == [2, 1, 3, 4]
    assert cited_numbers("Geen verwijzing (zie bijlage 2), [a] of [].") == []


def test_strip_markers_leaves_the_text_and_its_own_numbers():
    assert strip_markers("tussen 23.000 en 58.000 [1, 2][3].").split() == ["tussen", "23.000", "en", "58.000", "."]
    assert strip_markers("Kamerstuk 34 700, nr. 34 (bijlage [a])") == "Kamerstuk 34 700, nr. 34 (bijlage [a])"


def test_link_markers_links_every_cited_number_of_a_marker():
    def anchor(n: int) -> str | None:
        return f"<a>[{n}]</a>" if n in (1, 2) else None

    assert link_markers("Eén [1]. Beide [1, 2]. Twee [2][1].", anchor) == (
        "Eén <a>[1]</a>. Beide <a>[1]</a><a>[2]</a>. Twee <a>[2]</a><a>[1]</a>."
    )
    # numbers that cite nothing stay text; a marker citing nothing is left as written
    assert link_markers("Deels [2, 7]. Niets [7, 8].", anchor) == "Deels <a>[2]</a>[7]. Niets [7, 8]."


def test_renumbering_follows_first_appearance_and_drops_numbers_without_a_source():
    text, renumberer = renumber("A [3, 2]. B [1] C [7]. D [2, 9].", sources=3)
    assert text == "A [1, 2]. B [3] C. D [2]."
    assert renumberer.citations == {3: 1, 2: 2, 1: 3} and renumberer.invalid == [7, 9]


def test_a_marker_split_across_streamed_pieces_waits_until_it_is_complete():
    renumberer = Renumberer(sources=2)
    out = [renumberer.feed(piece) for piece in ["Zin ", "[", "2", ", ", "1", "]", ". Verder"]]
    assert out == ["Zin", "", "", "", "", " [1, 2]", ". Verder"]
    assert renumberer.flush() == ""


def _source(n: int, kind: str = "body") -> Source:
    letter = Letter(id="l", source="l.txt", text="x" * 100 + "Eerste zin. Tweede zin.")
    passage = Passage(id=f"l#{n}", letter="l", text="Eerste zin. Tweede zin.", start=100, end=123, kind=kind)
    return Source(rank=n, score=1.0, passage=passage, letter=letter)


def test_citations_are_numbered_on_first_citation_and_carry_their_sentences():
    builder = CitationBuilder()
    second, first = _source(2), _source(1, kind="footnote")
    citation = builder.cite(second)
    CitationBuilder.add_sentence(citation, 12, 23)
    assert builder.cite(second) is citation
    footnote = builder.cite(first)
    CitationBuilder.add_sentence(footnote, 0, 11)
    assert [(c.n, c.source) for c in builder.citations] == [(1, second), (2, first)]
    assert citation.sentences == ["Tweede zin."] and citation.spans == [(112, 123)]
    assert second.letter.text[112:123] == "Tweede zin."
    assert footnote.sentences == ["Eerste zin."] and footnote.spans == []  # a footnote is no slice of the letter
