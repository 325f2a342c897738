"""Citation markers and citation records: the one definition every composer, the support check,
the evaluation and the chat window use.

An answer cites its sources with markers after the sentence they back: ``[1]`` for one source,
``[1, 2]`` for several (``[1][2]`` is two markers citing the same two). Number ``n`` refers to
``Citation(n=n)`` of the answer (:class:`rag.types.Citation`); citations are numbered 1..m in
order of first appearance in the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rag.types import Citation, Source

#: One citation marker, ``[1]`` or ``[1, 2]``; group 1 holds the numbers.
MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# A marker with the spaces before it: a dropped marker takes them along ("claim [7]." -> "claim.").
_SPACED_MARKER = re.compile(rf"[ \t]*{MARKER.pattern}")
# What may still grow into a marker at the end of a streamed text: trailing spaces, "[", "[1, ".
_OPEN_TAIL = re.compile(r"[ \t]*(?:\[[\d,\s]*)?\Z")


# ------------------------------------------------------------------ the marker format
def format_marker(numbers: Iterable[int]) -> str:
    """The marker citing ``numbers``: ``[1]``, ``[1, 2]``."""
    return f"[{', '.join(map(str, numbers))}]"


def marker_numbers(marker: str | re.Match) -> list[int]:
    """The numbers of one marker (``"[3, 1]"`` -> ``[3, 1]``), in the order written."""
    text = marker.group(0) if isinstance(marker, re.Match) else marker
    return [int(n) for n in re.findall(r"\d+", text)]


def cited_numbers(text: str) -> list[int]:
    """The numbers the markers in ``text`` cite, in order of first appearance."""
    return list(dict.fromkeys(n for m in MARKER.finditer(text) for n in marker_numbers(m)))


def strip_markers(text: str) -> str:
    """``text`` with each marker replaced by a space."""
    return MARKER.sub(" ", text)


def link_markers(text: str, anchor: Callable[[int], str | None]) -> str:
    """``text`` (already HTML-escaped: markers survive escaping) with its markers as links.

    ``anchor(n)`` gives the link markup for ``[n]``, or None when ``n`` cites nothing. A marker
    citing several numbers becomes one link per number (``[1, 2]`` -> ``[1][2]``), each number
    without a citation kept as text; a marker none of whose numbers cites anything is left as it is.
    """

    def link(match: re.Match) -> str:
        numbers = marker_numbers(match)
        anchors = [anchor(n) for n in numbers]
        if not any(anchors):
            return match.group(0)
        return "".join(a or format_marker([n]) for n, a in zip(numbers, anchors))

    return MARKER.sub(link, text)


class Renumberer:
    """Rewrites markers as a text streams in: source numbers become citation numbers 1..m in
    order of first appearance; numbers above ``sources`` (no such source) are dropped, and a
    marker left with none disappears with the spaces before it.

    ``feed`` returns the part of the text so far that can no longer change, so what it returns
    can be shown at once and is final; ``flush`` returns the rest at the end.
    """

    def __init__(self, sources: int):
        self.sources = sources
        self.citations: dict[int, int] = {}  # source number -> citation number
        self.invalid: list[int] = []  # numbers cited that name no source, in order
        self._pending = ""

    def feed(self, delta: str) -> str:
        self._pending += delta
        cut = _OPEN_TAIL.search(self._pending).start()
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return _SPACED_MARKER.sub(self._rewrite, ready)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return _SPACED_MARKER.sub(self._rewrite, rest)

    def _rewrite(self, marker: re.Match) -> str:
        kept: list[int] = []
        for number in marker_numbers(marker):
            if 1 <= number <= self.sources:
                kept.append(self.citations.setdefault(number, len(self.citations) + 1))
            elif number not in self.invalid:
                self.invalid.append(number)
        if not kept:
            return ""
        spaces = marker.group(0)[: marker.group(0).index("[")]
        return spaces + format_marker(kept)


def renumber(text: str, sources: int) -> tuple[str, Renumberer]:
    """``text`` with its markers renumbered as :class:`Renumberer` does, and the renumberer (its
    ``citations`` and ``invalid``)."""
    renumberer = Renumberer(sources)
    return renumberer.feed(text) + renumberer.flush(), renumberer


# ------------------------------------------------------------------ citation records
class CitationBuilder:
    """Builds the :class:`Citation` records of one answer: a source gets number 1..m the first
    time it is cited, and collects the passage sentences that back the answer."""

    def __init__(self):
        self._by_passage: dict[str, Citation] = {}

    def cite(self, source: Source) -> Citation:
        """The citation of ``source``, numbered on its first call."""
        citation = self._by_passage.get(source.passage.id)
        if citation is None:
            citation = self._by_passage[source.passage.id] = Citation(n=len(self._by_passage) + 1, source=source)
        return citation

    @staticmethod
    def add_sentence(citation: Citation, start: int, end: int) -> None:
        """Record ``passage.text[start:end]`` as a sentence backing ``citation``, with its offsets
        in the letter for highlighting (body passages only: a footnote's text is not a slice of
        ``Letter.text``)."""
        passage = citation.source.passage
        citation.sentences.append(passage.text[start:end])
        if passage.kind == "body":
            citation.spans.append((passage.start + start, passage.start + end))

    @staticmethod
    def add_answer_span(citation: Citation, start: int, end: int) -> None:
        """Record ``passage.text[start:end]`` as the answering span (the bold one of the answer), with
        its letter offsets for highlighting (body passages only, as :meth:`add_sentence`)."""
        passage = citation.source.passage
        citation.answer_text.append(passage.text[start:end])
        if passage.kind == "body":
            citation.answer_spans.append((passage.start + start, passage.start + end))

    @property
    def citations(self) -> list[Citation]:
        """The citations so far, by number."""
        return list(self._by_passage.values())
