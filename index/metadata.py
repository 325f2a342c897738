"""Letter metadata read from the raw text: onderwerp, date, kenmerk, Kamerstuk number, addressee,
signatories.

Ministry letters carry a letterhead with labelled values ("Datum 10 juli 2020", "Ons kenmerk" with
the number on the next line, "Onderwerp ..."); official Kamerstuk publications carry a footer
("Tweede Kamer, vergaderjaar 2019–2020, 19 637, nr. 2675 5", the last number being the page).
Reports and letters without a letterhead get no date: a full ISO date is only given when the
text states one in a "Datum" line, never guessed from a year in the running text. What a report
does state is the period it covers ("Deze rapportage biedt een overzicht van de inspanningen in
2023"): that is its ``period`` ("2023", "2021–2023"), read only from such a sentence about itself.
A letter closes with who signs it: each minister's or state secretary's office on a line ending
in a comma, the name below it ("De Staatssecretaris van Justitie en Veiligheid,", blank lines,
"Ankie Broekers-Knol").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.models import Block
from index.sentences import sentence_spans

MONTH_NAMES = "januari februari maart april mei juni juli augustus september oktober november december".split()
MONTHS = {
    **{name: i for i, name in enumerate(MONTH_NAMES, start=1)},
    "jan": 1, "feb": 2, "febr": 2, "mrt": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "okt": 10, "nov": 11, "dec": 12,
}  # fmt: skip
DUTCH_DATE = re.compile(rf"\b(\d{{1,2}})\s+({'|'.join(sorted(MONTHS, key=len, reverse=True))})\.?\s+(\d{{4}})\b", re.I)

#: The footer of a Kamerstuk page; groups: dossier, number, page.
KAMERSTUK_FOOTER = re.compile(
    r"^\s*(?:Tweede|Eerste)\s+Kamer,\s+vergaderjaar\s+\d{4}\s*[–-]\s*\d{4},\s*(.+?),\s*nr\.\s*(\d+)\s+(\d{1,4})\s*$"
)
ONDERWERP = re.compile(r"^\s*Onderwerp\b:?\s*(.*?)\s*$")
_KENMERK = re.compile(r"^\s*Ons\s+kenmerk\b:?\s*(.*?)\s*$", re.I)
_DATUM = re.compile(r"^\s*Datum\b:?\s*(.*?)\s*$")
_KENMERK_VALUE = re.compile(r"^[\w./-]*\d[\w./-]*$")  # one token with a digit: "2971694", "2019-0000123456"
_ADDRESSEE = re.compile(r"^\s*Aan\s+(?:de|het)\s+\S.*$")
_ADDRESSEE_TAIL = re.compile(r"^\s*der\s+Staten-Generaal\s*$", re.I)
# Section names that say nothing about the document when it opens with them.
_GENERIC_HEADINGS = {"inleiding", "aanleiding", "samenvatting", "voorwoord", "inhoud", "inhoudsopgave"}
_TITLE_CHARS = 120
_LOOKAHEAD = 4  # lines searched below a label for its value


@dataclass
class LetterMetadata:
    """What the letterhead and footers say about a letter (``date_text`` as it stands there)."""

    title: str | None = None
    date: str | None = None
    date_text: str | None = None
    kenmerk: str | None = None
    kamerstuk: str | None = None
    addressee: str | None = None
    period: str | None = None  # the year(s) a report covers, e.g. "2023" or "2021–2023"
    signatories: list[tuple[str, str]] = field(default_factory=list)  # (name, office), see read_signatories


# A document describing itself ("Deze rapportage", "Dit jaarverslag", "Deze editie") and the
# year or years it covers: "... de inspanningen in 2023", "over de periode 2021-2023", "over 2023".
_SELF = r"\b(?:Deze|Dit|In deze|In dit|Met deze|Met dit)\s+(?:[a-z]+\s+)?(?:rapportage|rapport|verslag|jaarverslag|editie|monitor|overzicht|publicatie|jaarrapportage)\b"
_YEAR = r"(?:19|20)\d{2}"
_PERIOD = re.compile(
    _SELF + rf"[^.;]*?\b(?:in|over|van|gedurende)\s+(?:het\s+(?:jaar|kalenderjaar)\s+|de\s+(?:periode|jaren)\s+)?"
    rf"({_YEAR})(?:\s*(?:[–-]|tot\s+en\s+met|t/m|tot)\s*({_YEAR}))?(?![\d])"
)
_PERIOD_CHARS = 5000  # a report says what it covers in its opening pages


def report_period(text: str) -> str | None:
    """The year, or range of years, that a document says it covers: "2023", "2021–2023".

    Only a sentence in which the document describes itself counts ("Deze rapportage biedt een
    overzicht van de inspanningen in 2023"); other years in the text are about other things.
    """
    flat = " ".join(text[:_PERIOD_CHARS].split())
    match = _PERIOD.search(flat)
    if not match:
        return None
    first, last = match.group(1), match.group(2)
    return f"{first}–{last}" if last and last > first else first


def parse_dutch_date(text: str) -> tuple[str, str] | None:
    """The first Dutch date in ``text`` as (ISO date, the text matched): "10 juli 2020" → "2020-07-10"."""
    match = DUTCH_DATE.search(text)
    if not match:
        return None
    day, month, year = int(match.group(1)), MONTHS[match.group(2).lower()], int(match.group(3))
    if not 1 <= day <= 31:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}", match.group(0)


def onderwerp_span(lines: list[str]) -> tuple[int, int] | None:
    """Line range ``[start, end)`` of the "Onderwerp" entry in a letterhead, continuation included.

    The subject may wrap onto following lines (across blank lines); those start in lower case.
    """
    for i, line in enumerate(lines[:80]):
        if ONDERWERP.match(line):
            end = i + 1
            j = end
            while j < len(lines) and j - end < 3:
                stripped = lines[j].strip()
                if stripped and not stripped[0].islower():
                    break
                j += 1
                if stripped:
                    end = j
            return i, end
    return None


def _value_after(lines: list[str], i: int, same_line: str, wanted: re.Pattern) -> str | None:
    """The value of a label on line ``i``: on the same line, else on one of the next lines."""
    for candidate in [same_line] + [line.strip() for line in lines[i + 1 : i + 1 + _LOOKAHEAD]]:
        if match := wanted.search(candidate):
            return match.group(0)
    return None


def read_metadata(text: str) -> LetterMetadata:
    """Read title (onderwerp), date, kenmerk, Kamerstuk number and addressee from raw text."""
    lines = text.replace("\f", "\n").split("\n")
    meta = LetterMetadata()
    span = onderwerp_span(lines)
    if span:
        first = ONDERWERP.match(lines[span[0]]).group(1)
        subject = " ".join([first] + [lines[j].strip() for j in range(span[0] + 1, span[1])])
        meta.title = " ".join(subject.split()) or None
    header = lines[: span[1]] if span else lines[:60]
    for i, line in enumerate(header):
        if meta.kenmerk is None and (m := _KENMERK.match(line)):
            meta.kenmerk = _value_after(lines, i, m.group(1), _KENMERK_VALUE)
        if meta.date is None and (m := _DATUM.match(line)):
            value = _value_after(lines, i, m.group(1), DUTCH_DATE)
            if value and (parsed := parse_dutch_date(value)):
                meta.date, meta.date_text = parsed
        if span and meta.addressee is None and _ADDRESSEE.match(line):
            meta.addressee = _addressee(lines, i)
    for line in lines:
        if m := KAMERSTUK_FOOTER.match(line):
            meta.kamerstuk = f"{' '.join(m.group(1).split())}, nr. {m.group(2)}"
            break
    if meta.date is None:
        meta.period = report_period(text)
    meta.signatories = read_signatories(lines)
    return meta


# A signature: the office on a line of its own ending in a comma, then the name, between them at
# most a few blank or page-number lines. The name is initials or first names, particles and
# surnames ("S.A.M. Kaag", "mr. F.W. Weerwind", "Ankie Broekers-Knol", "E. van der Burg").
_OFFICE = re.compile(r"^\s*(De\s+(?:Minister(?:-[Pp]resident)?|Staatssecretaris)\b[^,]{0,120}?)\s*,\s*$")
_PARTICLE = r"(?:van|de|der|den|ter|ten|in\s+'t|'t)"
_PERSON = re.compile(
    rf"^\s*((?:(?:mr|dr|drs|ir|ing|prof)\.\s*)*(?:[A-Z][a-z]?\.\s*)*(?:[A-Z][\w’'-]+\s+)?(?:{_PARTICLE}\s+)*"
    rf"[A-Z][\w’'-]+(?:-[A-Z][\w’'-]+)?)\s*$"
)
_BETWEEN = re.compile(r"^\s*(?:Pagina\s+\d+\s+van\s+\d+)?\s*$")
_SIGNATURE_LINES = 60  # a signature stands at the end, before at most a closing page footer
_SIGNATURE_GAP = 6  # lines from the office down to the name (004 leaves four blank ones between)


def read_signatories(lines: list[str]) -> list[tuple[str, str]]:
    """The letter's signatures in order, each as (name, office): ("S.A. Blok", "de Minister van
    Buitenlandse Zaken"); none when it is not signed."""
    found: list[tuple[str, str]] = []
    for i in range(max(len(lines) - _SIGNATURE_LINES, 0), len(lines)):
        office = _OFFICE.match(lines[i])
        if not office:
            continue
        for line in lines[i + 1 : i + 1 + _SIGNATURE_GAP]:
            if person := _PERSON.match(line):
                title = " ".join(office.group(1).split())
                signature = (person.group(1), title[0].lower() + title[1:])
                if signature not in found:  # a regulation may close twice with the same signature
                    found.append(signature)
                break
            if not _BETWEEN.match(line):
                break
    return found


def _addressee(lines: list[str], i: int) -> str:
    """ "Aan de Voorzitter van de Tweede Kamer" plus its "der Staten-Generaal" line, if it follows."""
    name = " ".join(lines[i].split())
    for line in lines[i + 1 : i + 1 + _LOOKAHEAD]:
        if _ADDRESSEE_TAIL.match(line):
            return f"{name} der Staten-Generaal"
    return name


_PRESENTS = re.compile(r"^Voor u ligt (?:de|het) (.+)$", re.S)
# How a letter states its subject in its own words: "In deze brief informeer ik u over de X",
# "Met deze brief hebben wij inzicht gegeven in de X, conform ...".
_DESCRIBES = re.compile(
    r"\b(?:Met|Middels|In) deze brief\b[^.]*?\b(?:inzicht (?:gegeven|geven) in|informeer(?:t|en)? (?:ik|wij|we) "
    r"(?:u|uw Kamer) over|ga(?:an)? (?:ik|wij|we) in op) (?:de|het) ([^,.;:]+)"
)


def fallback_title(text: str, blocks: list[Block]) -> str | None:
    """A title for a document without "Onderwerp": its opening heading, else what it says it is
    about, else its first sentence.

    An opening heading that only names a section ("Inleiding") is passed over; a report's
    "Voor u ligt de …" opening is reduced to what it presents; a letter's "In deze brief informeer
    ik u over de …" to its subject; the sentence is shortened at a word boundary to about 120
    characters.
    """
    if not blocks:
        return None
    first = blocks[0]
    if first.kind == "heading" and text[first.start : first.end].strip().lower() not in _GENERIC_HEADINGS:
        return text[first.start : first.end]
    paragraph = next((b for b in blocks if b.kind == "paragraph"), None)
    if paragraph is None:
        return text[first.start : first.end]
    start, end = sentence_spans(text, paragraph.start, paragraph.end)[0]
    sentence = text[start:end]
    presented = _PRESENTS.match(sentence) or _DESCRIBES.search(" ".join(text.split()))
    if presented:  # "Voor u ligt de eerste editie van X." → "Eerste editie van X"
        sentence = presented.group(1)[0].upper() + presented.group(1)[1:].rstrip(".")
    if len(sentence) <= _TITLE_CHARS:
        return sentence
    cut = sentence.rfind(" ", 0, _TITLE_CHARS)
    return sentence[: cut if cut > 0 else _TITLE_CHARS].rstrip(",;:–- ") + " …"
