"""Dutch sentence splitting that returns offsets, tuned to the abbreviations of government letters.

A sentence ends at ``.``, ``!`` or ``?`` (plus closing quotes or brackets) before whitespace and
a capital letter. A full stop does not end a sentence after

- an abbreviation that always introduces more text: "nr. 34", "mr. J.P.H. Donner", "t.a.v.";
- initials ("J.P.H. Donner", "M. den Heijer");
- the number of a list item at the start of a sentence or line ("2. Turkije (3,3 miljoen)").

Abbreviations that may also close a sentence ("mln.", "mld.", "jl.", "c.s.", "etc.", and any
lower-case dotted form like "o.a.") end one only when a common Dutch sentence opener follows:
"ruim 3,5 mln. Syriërs" stays one sentence, "EUR 6 mld. Het kabinet ..." becomes two. Numbers
("1.7 miljoen", "2.134", "3,5") never split because no whitespace follows their separator.
"""

from __future__ import annotations

import re

# May close a sentence: a boundary only when an opener follows. So may any lower-case dotted
# form ("c.s.", "e.d.", "o.a."), unless listed as leading below.
_CLOSING_ABBREVIATIONS = frozenset("enz. etc. jl. mln. mld. mrd. min. ca. resp. incl. excl.".split())
# Always followed by the rest of the sentence.
_LEADING_ABBREVIATIONS = frozenset(
    """nr. nrs. mr. dr. drs. ir. ing. prof. mevr. dhr. bijv. bv. vgl. zgn. art. blz. p. pag. max.
    c.q. m.n. i.e. e.g. t.a.v. t.b.v. m.b.t. i.v.m. d.w.z. o.b.v. i.o.m. z.g.a.n. a.s.
    jan. feb. mrt. apr. jun. jul. aug. sep. sept. okt. nov. dec. st. vs.""".split()
)
# Capitalised words that typically open a Dutch sentence (not names): decide after "mln." etc.
_OPENERS = frozenset(
    """de het een dit deze dat die er ook in op voor met bij van naar uit aan als om over door zo
    daarnaast daarbij daarmee daarom daardoor hierbij hiermee hierin hiervoor tevens bovendien
    verder wel niet nog ik wij we u uw zij ze hij men ten tot na sinds vanaf volgens wat waar
    hoewel omdat indien ondanks alle echter momenteel inmiddels""".split()
)

_CLOSERS = "\"'”’»)]"
_OPENING = "\"'“‘«(["
_END = re.compile(rf"[.!?]+[{re.escape(_CLOSERS)}]*(?=\s)")
# The word after the punctuation, past the number of a following list item ("... meegenomen. 2. Versterken").
_NEXT_WORD = re.compile(rf"\s+(?:\d{{1,2}}[.)]\s+)?[{re.escape(_OPENING)}]*(\w+)")
_LAST_WORD = re.compile(r"\S+\Z")
_DOTTED = re.compile(r"(?:[a-z]\.){2,}")
_INITIALS = re.compile(r"(?:[A-Z]\.)+")


def _is_boundary(text: str, sentence_start: int, end: int, match: re.Match) -> bool:
    """Whether the punctuation ``match`` inside ``text[sentence_start:end]`` ends the sentence."""
    following = _NEXT_WORD.match(text, match.end(), end)
    if not following or not following.group(1)[0].isupper():
        return False
    if match.group().rstrip(_CLOSERS) != ".":
        return True  # "!", "?", "..."
    last = _LAST_WORD.search(text, sentence_start, match.start() + 1)
    word = last.group().lstrip(_OPENING)
    low = word.lower()
    if low in _LEADING_ABBREVIATIONS or _INITIALS.fullmatch(word):
        return False
    if word[:-1].isdigit() and (last.start() == sentence_start or text[last.start() - 1] == "\n"):
        return False  # "2." numbering a list item
    if low in _CLOSING_ABBREVIATIONS or _DOTTED.fullmatch(low):
        return following.group(1).lower() in _OPENERS
    return True


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the sentences in ``text[start:end]``, whitespace trimmed.

    A paragraph break always ends a sentence: a heading, a bullet or a line cut off by a lost
    page never runs on into the next paragraph.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    position = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        spans += _paragraph_sentences(text, position, match.start())
        position = match.end()
    return spans + _paragraph_sentences(text, position, end)


def window_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each pair of consecutive sentences of ``spans`` as one span: the text a retrieval window
    embeds, for an answer that a sentence gives only together with the one before or after it."""
    return [(first[0], second[1]) for first, second in zip(spans, spans[1:])]


def _paragraph_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    sentence_start = _skip_space(text, start, end)
    for match in _END.finditer(text, sentence_start, end):
        if match.start() >= sentence_start and _is_boundary(text, sentence_start, end, match):
            spans.append((sentence_start, match.end()))
            sentence_start = _skip_space(text, match.end(), end)
    while end > sentence_start and text[end - 1].isspace():
        end -= 1
    if sentence_start < end:
        spans.append((sentence_start, end))
    return spans


def _skip_space(text: str, i: int, end: int) -> int:
    while i < end and text[i].isspace():
        i += 1
    return i
