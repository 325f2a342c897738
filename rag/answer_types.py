"""What a question asks for, and the span of a sentence that gives it.

A question asks for a quantity, a date, a reason, a list or a name (:func:`answer_type`); a
sentence holding that kind of thing leads the answer (:func:`holds_type`), and for a quantity, date,
list or name the span itself opens the answer as a one-line direct answer (:func:`direct_span`),
written the English way for an English question (:func:`in_english`).
"""

from __future__ import annotations

import re

from index.metadata import MONTH_NAMES
from rag import abstain, references
from rag.analysis import analyze

NEAR_WORDS = 6  # words either side of an amount that tell what it counts ("EUR 60 miljoen voor migratiesamenwerking")
# The words that make a question a question: no sentence is chosen, nor an amount named, for holding them.
QUESTION_WORDS = frozenset(
    analyze("hoeveel welke welk wat wie waarom hoe wanneer waar noemt beschrijft geeft brief brieven kabinet "
            "how many much which what who why when where does letter letters cabinet government describe")
)
WHY_QUESTION = re.compile(r"\b(waarom|om welke reden|why|for what reason)\b", re.I)
REASON = re.compile(
    r"\b(omdat|doordat|daardoor|daarom|zodat|want|vanwege|in verband met|gezien|immers|teneinde|"
    r"dient ertoe|bedoeld om|reden|gedachte|bijdragen aan|draagt bij)\b",
    re.I,
)
_DATE_QUESTION = re.compile(
    r"\b((sinds|vanaf|per|tot) wanneer|wanneer|in welk jaar|welke datum|op welke datum|"
    r"(since|from|until|by) when|when|(in )?what year|which year|what date)\b",
    re.I,
)
_COUNT_WORDS = "twee|drie|vier|vijf|zes|zeven|acht|negen|tien|two|three|four|five|six|seven|eight|nine|ten"
_LIST_QUESTION = re.compile(rf"\b(welke|wat zijn de|which|what are the)\b(?:\s+\w+)?\s+({_COUNT_WORDS})\b|\bwelke\b.*\bnoemt\b", re.I)
_MONTH = "|".join(references.MONTHS)
_DATE = re.compile(rf"\b(?:\d{{1,2}}\s+)?(?:{_MONTH})\s+(?:19|20)\d\d\b|\b(?:\d{{1,2}}\s+)(?:{_MONTH})\b|\b(?:19|20)\d\d\b", re.I)
# Who did it: a person or an organisation. Dutch "wie" asks for one unless it is the object of a
# preposition ("op wie richt de website zich": a group); English "who" only opening a question or a
# clause, since mid-sentence it is mostly a relative pronoun ("children who missed school").
_NAME_QUESTION = re.compile(
    r"(?<!\bop )(?<!\baan )(?<!\bvoor )(?<!\bmet )(?<!\bnaar )\bwie\b|^(?:who|whom)\b|(?:,|\band)\s+who\b|\bby whom\b"
    r"|\b(?:welke|which)\s+(?:organisatie|instantie|instelling|bewindspersoon|minister|staatssecretaris|"
    r"organi[sz]ation|agency|institution|state secretary)\b(?!s)",
    re.I,
)
_CAPITAL = r"[A-Z][\w’'-]*"
_ORGANISATION = rf"{_CAPITAL}(?:\s+(?:(?:voor|van|en|de|der|den|het|and|of|for|the|&)\s+)*{_CAPITAL})*(?:\s\([A-Z][\w-]+\))?"
# Who did it, as the letters write it: a person with initials ("mr. J.P.H. Donner", "M. den
# Heijer") wherever it stands; an organisation only as the agent, after "door" / "by" ("uitgevoerd
# door de Universiteit Utrecht", "gefinancierd door het ministerie van Buitenlandse Zaken"), since
# capitalised words elsewhere in a sentence are as often a programme, a country or an agenda.
_NAME = re.compile(
    r"(?P<person>(?:[A-Z]\.){1,4}\s?(?:(?:van|de|den|der|ter|te)\s)*[A-Z][\w’'-]+)"
    rf"|\b(?:door|by)\s+(?:de\s+|het\s+|the\s+)?(?P<organisation>(?:(?:ministerie|minister|staatssecretaris|ministry)\s+(?:van|voor|of)\s+)?{_ORGANISATION})"
)
_ENUMERATION = re.compile(r":\s+\S|\b1\)|(?:,[^,]+){2,}\s(?:en|and)\s")
# A count as written: "1.859", "23.000 en 58.000", "tienduizenden", with its magnitude.
_COUNT = re.compile(
    r"\b\d[\d.,]*(?:\s?(?:mln|miljoen|miljard|mld)\b\.?)?(?:\s(?:en|tot|à|a)\s\d[\d.,]*(?:\s?(?:mln|miljoen|miljard|mld)\b\.?)?)?"
    r"|\b(?:tien|honderd|duizend)?(?:tientallen|honderden|duizenden|tienduizenden|honderdduizenden|miljoenen)\b",
    re.I,
)


def answer_type(question: str) -> str | None:
    """What kind of answer the question asks for: quantity, date, reason, list, name, or None."""
    if abstain.asks_quantity(question):
        return "quantity"
    if _DATE_QUESTION.search(question):
        return "date"
    if WHY_QUESTION.search(question):
        return "reason"
    if _LIST_QUESTION.search(question):
        return "list"
    if _NAME_QUESTION.search(question):
        return "name"
    return None


def holds_type(kind: str | None, question: str, language: str, text: str) -> bool:
    """Whether ``text`` holds the kind of thing ``question`` asks for (see :func:`answer_type`)."""
    if kind == "quantity":
        return abstain.states_quantity(question, language, text)
    if kind == "date":
        return bool(_DATE.search(text))
    if kind == "reason":
        return bool(REASON.search(text))
    if kind == "list":
        return bool(_ENUMERATION.search(text))
    return False


def direct_span(question: str, language: str, sentence: str) -> tuple[int, int] | None:
    """Offsets in ``sentence`` of the span that answers a quantity, date, list or name question, or None."""
    kind = answer_type(question)
    if kind == "quantity":
        pattern = abstain.AMOUNT if abstain.asks_money(question, language) else _COUNT
        # A number that opens a date ("in 2023,", "26 juni") is no count.
        spans = [(m.start(), m.end()) for m in pattern.finditer(sentence) if not _DATE.match(sentence, m.start())]
        chosen = _nearest_to_question(question, sentence, spans)
        if chosen is None:
            return None
        start, end = chosen
        while end > start + 1 and (sentence[end - 1] in ",;:" or (sentence[end - 1] == "." and sentence[end - 2].isdigit())):
            end -= 1  # "32.500," / "1.859.": the punctuation after a number is the sentence's, not the amount's
        return start, end
    if kind == "date":
        m = _DATE.search(sentence)
        return (m.start(), m.end()) if m else None
    if kind == "list":
        colon = sentence.find(": ")
        if colon >= 0:
            return colon + 2, _list_end(sentence, colon + 2)
    if kind == "name":
        return _name_span(question, sentence)
    return None


_OPENING_QUOTE = {"”": "“", "’": "‘", '"': '"', "'": "'"}  # closing quote mark → its opening one


def _list_end(sentence: str, start: int) -> int:
    """Where a list that runs to the end of ``sentence`` stops: before the closing full stop, and before a
    closing quote mark whose opening one stands in an earlier sentence (a quoted passage from a report)."""
    end = len(sentence.rstrip(" .;"))
    span = sentence[start:end]
    if span and _unmatched_close(span):
        end = start + len(span[:-1].rstrip(" .;"))
    return end


def _unmatched_close(span: str) -> bool:
    last = span[-1]
    opening = _OPENING_QUOTE.get(last)
    if opening is None:
        return False
    if opening == last:  # a straight quote closes one opened earlier when the span holds an odd number of them
        return span.count(last) % 2 == 1
    return span.count(opening) < span.count(last)


def _name_span(question: str, sentence: str) -> tuple[int, int] | None:
    """The person or organisation a who-question asks for: the first name in ``sentence`` the question
    does not already give, a person before an organisation; None when there is none."""
    asked = set(analyze(question)) | {word.lower() for word in re.findall(r"\w+", question)}
    found = []
    for m in _NAME.finditer(sentence):
        kind = "person" if m.group("person") else "organisation"
        words = [w for w in re.findall(r"\w{2,}", m.group(kind)) if w[0].isupper()]
        if any(w.lower() in asked or set(analyze(w)) & asked for w in words):
            continue  # a name the question gives ("het STEAP-project") is not its answer
        found.append((kind != "person", m.start(kind), m.end(kind)))
    return min(found)[1:] if found else None


# Dutch number and date words in a direct-answer span, for an English question's answer line.
_ENGLISH_WORDS = {
    **{nl: en.capitalize() for nl, en in zip(MONTH_NAMES, references.ENGLISH_MONTH_NAMES)},
    "miljoen": "million", "mln": "million", "miljard": "billion", "mld": "billion", "duizend": "thousand",
    "en": "and", "tot": "to", "tientallen": "dozens", "honderden": "hundreds", "duizenden": "thousands",
    "tienduizenden": "tens of thousands", "honderdduizenden": "hundreds of thousands", "miljoenen": "millions",
}
_SPAN_WORD = re.compile(r"\d[\d.,]*\d|[^\W\d_]+\.?")


def in_english(span: str) -> str:
    """A number or date span of the letters as an English reader writes it: "3,4 miljoen" → "3.4 million",
    "1.859" → "1,859", "1 januari 2025" → "1 January 2025". Words it does not know stay as they are."""

    def word(m: re.Match) -> str:
        token = m.group(0)
        if token[0].isdigit():
            return token.translate(str.maketrans(".,", ",."))  # Dutch thousands point and decimal comma
        return _ENGLISH_WORDS.get(token.rstrip(".").lower(), token)

    return _SPAN_WORD.sub(word, span)


def _nearest_to_question(question: str, sentence: str, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Of several amounts in a sentence, the one with most question terms between it and its neighbours
    ("EUR 200 miljoen voor opvang in de regio en EUR 60 miljoen voor migratiesamenwerking"); the first on a tie."""
    if len(spans) < 2:
        return spans[0] if spans else None
    wanted = set(analyze(question)) - QUESTION_WORDS
    bounds = [0] + [end for _, end in spans]
    ends = [start for start, _ in spans[1:]] + [len(sentence)]

    def near(i: int) -> int:
        before = sentence[bounds[i] : spans[i][0]].split()[-NEAR_WORDS:]
        after = sentence[spans[i][1] : ends[i]].split()[:NEAR_WORDS]
        return len(wanted & set(analyze(" ".join(before + after))))

    return spans[max(range(len(spans)), key=lambda i: (near(i), -i))]
