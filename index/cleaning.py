"""Turn an extracted document into running text with paragraphs, headings, pages and footnotes.

The input is PDF-extraction text: lines broken at the page width, words hyphenated at line ends,
page furniture (letterhead, a side column repeated on every page, "Pagina 1 van 8", Kamerstuk
footers, "[12]") and footnotes at page bottoms. The steps, in order:

1. **Letterhead.** Everything up to and including the "Onderwerp" entry is letterhead. Its short
   lines (sender, department) are remembered: they come back as the side column on later pages.
2. **Pages.** The text is cut into pages at page markers ("Pagina N van M", a Kamerstuk footer,
   "[12]": each closes the page it numbers), at PDF pages and form feeds, and, when the document
   has no "Pagina N van M" markers, at runs of three or more blank lines and at lines indented by
   exactly one space (how these extractions start a new page). Unnumbered pages are numbered
   from their numbered neighbours.
3. **Furniture.** Near the top of each page of a letter with a letterhead, lines that repeat the
   letterhead, side-column labels ("Datum", "Ons kenmerk") and the letter's own date and kenmerk
   are dropped, also when glued onto the end of a text line. Anywhere: return-address and
   "Bij beantwoording ..." lines, lines repeated three or more times, stray one-character lines.
4. **Footnotes.** The notes at a page bottom (below a rule of spaces, or the trailing lines that
   start with a note number) leave the running text and become :class:`Footnote` records.
   Markers are found in the text: a number on a line of its own just above the line it belongs
   to, or digits glued to the end of a word ("c.s.1", "Migratieagenda2", "Perspectief»3"); glued
   digits only count when a note with that number exists or they continue the numbering.
5. **Repairs.** In the first lines of a page where the side column was interleaved, a word it
   split ("i ntensivering", "d an", "Daaro m") is mended when the joined word occurs elsewhere
   in the letter or the fragment does not. A word glued to a function word ("Staatvan migratie")
   is split where the letter itself writes the two apart beside the same word (see
   :func:`unglue_words`). OCR slips: "é" for "ë" after i/e ("Syrié"), "®"/"™"
   for note markers, "«"/"+" for bullets (→ "•").
6. **Lines to paragraphs.** Hyphenated line ends are joined (see :func:`join_lines`); lines join
   into paragraphs unless a sentence ends on a line that the next word would still have fitted
   on, a blank line follows a finished sentence, or a heading stands in between. A heading is a
   short line (or two) without final punctuation between a finished sentence and a new one.

The result's offsets (blocks, pages, footnote markers) all refer to ``CleanText.text``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from index.loaders import RawDocument
from index.metadata import KAMERSTUK_FOOTER, LetterMetadata, onderwerp_span
from index.models import Block, Footnote
from index.sentences import sentence_spans

PAGINA = re.compile(r"^\s*Pagina\s+(\d{1,4})\s+van\s+\d{1,4}\s*$", re.I)
_BRACKET_PAGE = re.compile(r"^\s*\[(\d{1,4})\]\s*$")
# Letterhead lines that never belong to the running text, wherever they stand.
_LETTERHEAD = re.compile(
    r"^\s*(?:>\s*Retouradres\b.*|Postbus\s+\d+\s*|\d{4}\s?[A-Z]{2}\s+[A-Z][\w' -]*"
    r"|Bij beantwoording\b.*|en ons kenmerk vermelden\.?|Wilt u slechts één zaak\b.*|brief behandelen\.?)\s*$"
)
_SIDE_LABEL = re.compile(
    r"^\s*(?:Datum|Ons kenmerk|Uw kenmerk|Onze referentie|Uw referentie|Uw brief(?: van)?|Kenmerk"
    r"|Bijlage(?:n|\(n\))?|Contactpersoon|Behandeld door|Doorkiesnummer|Telefoon|E-mail)\b:?(?:\s.{0,30})?$",
    re.I,
)
_NUMBER_LINE = re.compile(r"^\s*(\d{1,3})\s*$")
# A footnote line: its number, then text that opens like a note (capital, digit, link or quote).
_NOTE_LINE = re.compile(r"^\s*(\d{1,3})\s+((?:[A-Z\d“‘\"'(]|https?:|www\.).*)$")
# OCR renders superscript note numbers as quotes, "=" or "°", sometimes keeping a digit ("'8" for 18).
_OCR_NOTE_LINE = re.compile(r"^\s*['\"‘’“”°=](\d{0,2})\s+([A-Zh].*)$")
_BULLET = re.compile(r"^[«•·▪●◦+]\s+")
_NUMBERED_ITEM = re.compile(r"^\d{1,2}[.)]\s")
_NUMBERED_HEADING = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s*[A-Z]")
_SENTENCE_END = re.compile(r"[.!?:;][”’\"»)\]]*$")
_GLUED_MARKER = re.compile(r"(?:(?<=[^\W\d_])|(?<=[^\W\d_]\.)|(?<=[»”’\"')]))(\d{1,2})(?![\w])")
_MARKER_GAP = re.compile(r"(?<=\S) (?=[,.;:)])")  # the space left where a superscript was lifted out
_WORD = re.compile(r"[^\W\d_]+")
_COMPOUND = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_URL = re.compile(r"(?:https?://|www\.)\S+")
# Words a heading does not end on; a line ending on one continues on the next line.
_CONNECTORS = frozenset("de het een en of van in op voor met aan te om tot bij door naar over uit dat die als".split())

_BLANK_RUN_BREAK = 3  # blank lines in a row that separate pages (documents without "Pagina")
_MIN_PAGE_LINES = 8  # text lines a page has at least before an indented line may start the next
_SIDE_COLUMN_ZONE = 30  # lines from the top of a page in which the side column is interleaved
_SIDE_ITEM_CHARS = 40  # letterhead lines up to this long can return in the side column
_SEPARATOR_SPACES = 20  # a line of only spaces this wide is the rule above the footnotes
_MAX_NOTE_CONTINUATIONS = 3  # blank-separated runs of up to two lines that may continue a note
_HEADING_CHARS = 120
_SHORT = 0.8  # a line shorter than this share of the page's text width is "short"
_MIN_WIDTH_LINES = 15  # a page with fewer text lines is measured by the whole document's width
_FIT = 0.9  # characters are not all equally wide: a word "fits" only with this margin


@dataclass
class CleanText:
    """Cleaned running text and its structure; all offsets refer to ``text``."""

    text: str
    blocks: list[Block]
    pages: list[tuple[int, int]]
    footnotes: list[Footnote]


@dataclass
class _Segment:
    """The lines of one page, and the page number printed on it (if any)."""

    lines: list[str]
    label: int | None = None
    number: int | None = None
    side_column: bool = False  # letterhead items were removed from its top


@dataclass
class _Line:
    """A line of running text after clean-up (``text == ""`` for a blank line)."""

    text: str
    page: int | None
    segment: int
    ignorable_blank: bool = False  # a blank line left between side-column entries
    markers: list[tuple[int, str]] = field(default_factory=list)  # (position in text, note number)


@dataclass
class _Note:
    """A footnote as found at a page bottom, before its lines are joined."""

    number: str
    lines: list[str]
    page: int | None
    own_line: bool  # the number stood on a line of its own, above the note text


def clean_document(raw: RawDocument, meta: LetterMetadata) -> CleanText:
    """Clean ``raw`` (see the module docstring); ``meta`` supplies the letter's date and kenmerk."""
    lines, source_breaks = _source_lines(raw)
    span = onderwerp_span(lines)
    header = lines[: span[1]] if span else []
    lines, source_breaks = lines[len(header) :], {i - len(header) for i in source_breaks if i >= len(header)}
    segments = _segments(lines, source_breaks)
    _number_pages(segments, numbered_source=raw.path.suffix.lower() == ".pdf")

    furniture = _Furniture(header, meta, has_letterhead=bool(span) or meta.kenmerk is not None, segments=segments)
    for segment in segments:
        segment.lines = furniture.strip(segment)

    notes: list[_Note] = []
    bodies: list[list[str]] = []
    for segment in segments:
        body, note_lines = _split_notes(segment.lines)
        bodies.append(body)
        notes.extend(_parse_notes(note_lines, segment.number, notes))
    words = word_counts("\n".join(line for body in bodies for line in body))
    phrases = Phrases("\n".join([line for body in bodies for line in body] + [line for n in notes for line in n.lines]))
    body_lines = _body_lines(segments, bodies, words, phrases)
    footnotes = [Footnote(n.number, unglue_words(_join_note(n.lines, words), phrases), None, n.page) for n in notes]
    # An extraction that puts note numbers on their own line does the same with the markers.
    _link_markers(body_lines, footnotes, marker_lines=any(n.own_line for n in notes))
    return _assemble(body_lines, footnotes, words, has_pages=len(segments) > 1 or raw.path.suffix.lower() == ".pdf")


# --- 1-2: source lines, pages ------------------------------------------------------------------


def _source_lines(raw: RawDocument) -> tuple[list[str], set[int]]:
    """All lines, and the indices of lines that start a new PDF page or follow a form feed."""
    lines: list[str] = []
    breaks: set[int] = set()
    for part in (part for page in raw.pages for part in page.split("\f")):
        if lines:
            breaks.add(len(lines))
        lines.extend(part.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return lines, breaks


def _segments(lines: list[str], source_breaks: set[int]) -> list[_Segment]:
    """Cut the lines into pages (see the module docstring); empty pages are dropped."""
    marked = any(PAGINA.match(line) for line in lines)
    segments: list[_Segment] = []
    current: list[str] = []
    blank_run = 0

    def close(label: int | None) -> None:
        nonlocal current
        if any(line.strip() for line in current):
            segments.append(_Segment(current, label))
        elif label is not None and segments and segments[-1].label is None:
            segments[-1].label = label  # the marker followed a blank run that already closed the page
        current = []

    for i, line in enumerate(lines):
        if i in source_breaks:
            close(None)
        marker = PAGINA.match(line) or KAMERSTUK_FOOTER.match(line) or _BRACKET_PAGE.match(line)
        if marker:
            close(int(marker.groups()[-1]))
            blank_run = 0
            continue
        if not line.strip():
            blank_run += 1
            current.append(line)
            if blank_run == _BLANK_RUN_BREAK and not marked:
                close(None)
            continue
        blank_run = 0
        if not marked and _starts_page(lines, i) and sum(1 for s in current if s.strip()) >= _MIN_PAGE_LINES:
            close(None)
        current.append(line)
    close(None)
    return segments


def _indented(line: str) -> bool:
    """Indented by exactly one space."""
    return line.startswith(" ") and not line.startswith("  ") and bool(line.strip())


def _starts_page(lines: list[str], i: int) -> bool:
    """Is line ``i`` indented by one space, the way these extractions open a page?

    Not a bare web address, nor a footnote line right above another indented line: those are
    the end of the previous page's notes.
    """
    if not _indented(lines[i]) or _URL.fullmatch(lines[i].strip()):
        return False
    following = next((line for line in lines[i + 1 :] if line.strip()), "")
    return not ((_NOTE_LINE.match(lines[i]) or _OCR_NOTE_LINE.match(lines[i])) and _indented(following))


def _number_pages(segments: list[_Segment], numbered_source: bool) -> None:
    """Give every page a number: its printed one, else counted from its numbered neighbours.

    Numbers never decrease; pages before the first printed number count back from it (not
    below 1); a page after a printed number gets the next number, capped by the next printed one.
    Without printed numbers pages count from 1 (PDF pages always do).
    """
    labels = [s.label for s in segments]
    if all(label is None for label in labels):
        for n, segment in enumerate(segments, 1):
            segment.number = n if len(segments) > 1 or numbered_source else None
        return
    first = next(i for i, label in enumerate(labels) if label is not None)
    for i in range(first):
        segments[i].number = max(1, labels[first] - (first - i))
    previous = max(1, labels[first] - first - 1)
    for i in range(first, len(segments)):
        if labels[i] is not None:
            number = max(labels[i], previous)
        else:
            following = next((label for label in labels[i + 1 :] if label is not None), None)
            number = previous + 1 if following is None else max(previous, min(previous + 1, following))
        segments[i].number = previous = number


# --- 3: furniture ------------------------------------------------------------------------------


def _norm(line: str) -> str:
    """The line with runs of whitespace as single spaces, trimmed."""
    return " ".join(line.split())


class _Furniture:
    """Recognises letterhead, side column and other page furniture in one document."""

    def __init__(self, header: list[str], meta: LetterMetadata, has_letterhead: bool, segments: list[_Segment]):
        self.has_letterhead = has_letterhead
        self.side_items = {
            _norm(line)
            for line in header
            if _norm(line) and len(_norm(line)) <= _SIDE_ITEM_CHARS and _WORD.search(line)
        }
        values = {v for v in (meta.kenmerk, meta.date_text) if v}
        self.values = {_norm(v) for v in values}
        # Only multi-word or hyphenated letterhead items are stripped when glued onto a text line.
        self.glued = sorted(
            self.values | {item for item in self.side_items if re.search(r"[\s\d-]", item) and len(item) >= 6},
            key=len,
            reverse=True,
        )
        counts = Counter(_norm(line) for s in segments for line in s.lines if _norm(line))
        self.repeated = {line for line, n in counts.items() if n >= 3 and len(line) >= 4 and _WORD.search(line)}

    def _is_side_item(self, text: str) -> bool:
        if text in self.side_items or text in self.values or _SIDE_LABEL.match(text):
            return True
        words = text.split()
        return len(words) >= 2 and any(f" {text} " in f" {item} " for item in self.side_items)

    def strip(self, segment: _Segment) -> list[str]:
        """The segment's lines without furniture; removed lines leave a blank line behind."""
        out: list[str] = []
        top = next((i for i, line in enumerate(segment.lines) if line.strip()), 0)
        zone_end = top + _SIDE_COLUMN_ZONE if self.has_letterhead else -1
        first_text = True
        for i, line in enumerate(segment.lines):
            text = _norm(line)
            if not text:
                out.append(line)  # kept as is: a wide line of spaces is the rule above the footnotes
                continue
            if _LETTERHEAD.match(text) or text in self.repeated or _is_stray(text):
                out.append("")
                continue
            if i < zone_end:
                if self._is_side_item(text):
                    segment.side_column = True
                    out.append("")
                    continue
                line = self._strip_glued(line, first_text, segment)
            first_text = False
            out.append(line)
        return out

    def _strip_glued(self, line: str, first_text: bool, segment: _Segment) -> str:
        """Cut a side-column entry glued onto the end of a text line ("... vertrouwelijke Directoraat-Generaal")."""
        body = line.rstrip()
        for item in self.glued:
            if (item in self.values or first_text) and body.endswith(" " + item) and len(body) > len(item) + 1:
                segment.side_column = True
                return body[: -len(item)].rstrip() + " "
        return line


def _is_stray(text: str) -> bool:
    """A stray glyph line: "w", "[", "- N a -" (a bare number may be a footnote marker)."""
    return not _NUMBER_LINE.match(text) and all(len(t) <= 1 for t in text.split())


# --- 4: footnotes ------------------------------------------------------------------------------


def _split_notes(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split a page into running text and the footnote lines at its bottom."""
    for i in range(len(lines) - 1, -1, -1):
        if len(lines[i]) >= _SEPARATOR_SPACES and not lines[i].strip():
            return lines[:i], lines[i + 1 :]
    chunks: list[tuple[int, int]] = []  # [start, end) of runs of non-blank lines
    i = 0
    while i < len(lines):
        if lines[i].strip():
            j = i
            while j < len(lines) and lines[j].strip():
                j += 1
            chunks.append((i, j))
            i = j
        else:
            i += 1
    start = len(chunks)
    pending = 0  # short runs below the notes found so far: continuations of the note above them
    for k in range(len(chunks) - 1, -1, -1):
        first = lines[chunks[k][0]]
        if _NOTE_LINE.match(first) or _OCR_NOTE_LINE.match(first):
            start, pending = k, 0
        elif pending < _MAX_NOTE_CONTINUATIONS and chunks[k][1] - chunks[k][0] <= 2:
            pending += 1
        else:
            break
    cut = chunks[start][0] if start < len(chunks) else len(lines)
    return lines[:cut], lines[cut:]


def _parse_notes(lines: list[str], page: int | None, earlier: list[_Note]) -> list[_Note]:
    """Footnotes from a page's note lines ("6 Kamerstuk ...", or "1" above " Kamerstukken II ...")."""
    notes: list[_Note] = []
    previous = int(earlier[-1].number) if earlier else 0
    for line in lines:
        text = line.strip()
        if not text:
            continue
        number = _NUMBER_LINE.match(text)
        note = _NOTE_LINE.match(text)
        ocr = None if note or number else _OCR_NOTE_LINE.match(text)
        if number or note or ocr:
            if ocr:
                value = _ocr_number(ocr.group(1), previous)
            else:
                value = _sequence_number(int((number or note).group(1)), previous)
            notes.append(_Note(str(value), [] if number else [(note or ocr).group(2)], page, own_line=bool(number)))
            previous = value
        elif notes:
            notes[-1].lines.append(text)
    # OCR sometimes repeats a note; keep the first of identical ones.
    unique = [n for k, n in enumerate(notes) if all(n.lines != m.lines for m in notes[:k])]
    return unique


def _sequence_number(n: int, previous: int) -> int:
    """Note numbers only go up: one that does not was misread (OCR) and is the next number."""
    return n if n > previous else previous + 1


def _ocr_number(digits: str, previous: int) -> int:
    """A note number OCR'd as a quote or "=": a quote plus digit is usually a 1 ("'8" = 18)."""
    if digits and int("1" + digits) > previous:
        return int("1" + digits)
    return previous + 1


def _join_note(lines: list[str], words: Counter) -> str:
    """One note's lines as one text; a web address going on in the next line is joined up."""
    text = ""
    for line in map(str.strip, lines):
        if not text:
            text = line
        elif (
            _URL.match(text.rsplit(" ", 1)[-1]) and " " not in line and not text.endswith("-") and not _URL.match(line)
        ):
            text += line
        else:
            text = join_lines(text, line, words)[0]
    return text


# --- body lines and markers --------------------------------------------------------------------


def _body_lines(segments: list[_Segment], bodies: list[list[str]], words: Counter, phrases: "Phrases") -> list[_Line]:
    """Running-text lines with marker lines, split words, glued words and OCR slips repaired."""
    out: list[_Line] = []
    for index, (segment, body) in enumerate(zip(segments, bodies, strict=True)):
        top = next((i for i, line in enumerate(body) if line.strip()), 0)
        seen = run = 0
        for i, raw in enumerate(body):
            text = _norm(raw)
            if _URL.fullmatch(text):
                continue  # a web address cut loose from its footnote
            if not text:
                # Between side-column entries blank lines alternate with single text lines.
                ignorable = segment.side_column and i < top + _SIDE_COLUMN_ZONE and run <= 2
                out.append(_Line("", segment.number, index, ignorable_blank=ignorable))
                run = 0
                continue
            run += 1
            if segment.side_column and seen < 3 and not _NUMBER_LINE.match(text):
                text = _repair_split_word(text, words)
            seen += 1
            text = unglue_words(_tidy(text), phrases)
            out.append(_Line(text, segment.number, index))
    return out


def _repair_split_word(text: str, words: Counter) -> str:
    """Mend a word the side column split at the top of a page: "i ntensivering", "Daaro m".

    Only a lone letter (not the words "u", "a", "o") joined to its neighbour, and only when the
    joined word occurs elsewhere in the letter or the fragment never does.
    """
    match = re.match(r"^([a-z]) ([a-zà-ÿ]+)\b", text) or re.match(r"^([^\W\d_]{2,}) ([a-z])(?=\s|$)", text)
    if not match:
        return text
    first, second = match.groups()
    lone = first if len(first) == 1 else second
    fragment = second if lone is first else first
    joined = (first + second).lower()
    if lone in ("u", "a", "o") or not (words[joined] >= 1 or words[fragment.lower()] <= 1):
        return text
    return first + second + text[match.end() :]


class Phrases:
    """How often each word, and each run of three words, occurs in a text (lower case)."""

    def __init__(self, text: str):
        tokens = [t.lower() for t in _WORD.findall(text)]
        self.words = Counter(tokens)
        self.trigrams = Counter(zip(tokens, tokens[1:], tokens[2:]))


def unglue_words(text: str, phrases: Phrases) -> str:
    """Split a word that the extraction glued to a short function word: "Staatvan migratie".

    PDF extraction sometimes loses the space between two words. A word is split in two when the
    letter itself shows the split: the word occurs only this once, one of its two parts is a
    function word ("van", "de", "en", … of ``_CONNECTORS``) and the other has at least three
    letters, and elsewhere the letter writes the two parts apart next to the same neighbouring
    word ("de Staat van Migratie" mends "Staatvan migratie"). Real compounds ("daarvan",
    "erop") are written as one word throughout, so the letter never offers the split.
    """
    tokens = list(_WORD.finditer(text))
    cuts: list[int] = []
    for k, token in enumerate(tokens):
        word = token.group().lower()
        if len(word) < 5 or phrases.words[word] != 1:
            continue
        before = tokens[k - 1].group().lower() if k else None
        after = tokens[k + 1].group().lower() if k + 1 < len(tokens) else None
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            other = left if right in _CONNECTORS else right if left in _CONNECTORS else None
            if other is None or len(other) < 3:
                continue
            if phrases.trigrams[(left, right, after)] or phrases.trigrams[(before, left, right)]:
                cuts.append(token.start() + cut)
                break
    for at in reversed(cuts):
        text = text[:at] + " " + text[at:]
    return text


def _tidy(text: str) -> str:
    """Bullet glyphs to "•"; OCR slips: "é" for "ë" after i/e ("Syrié"), ®/™ for note markers."""
    text = _BULLET.sub("• ", text)
    text = re.sub(r"(?<=[ie])é", "ë", text)
    text = re.sub(r"(?<=\S)[®™]", "", text)
    return re.sub(r"(?<=[^\W\d_]\.)\?(?=\s|$)", "", text)


def _link_markers(lines: list[_Line], footnotes: list[Footnote], marker_lines: bool) -> None:
    """Find footnote markers in the running text, take them out and remember where they stood.

    A number alone on a line marks the next text line: at the gap it left ("Bisschop , waarin"),
    else before the end of that line's first sentence, else at the line end. Digits glued to a
    word mark it when a note with that number exists or they continue the numbering; markers
    without a note text get an empty :class:`Footnote` (another extraction may supply the text).
    """
    notes_by_page = {f.number: f.page for f in footnotes if f.text}
    last = 0
    pending: str | None = None
    kept: list[_Line] = []
    for line in lines:
        number = _NUMBER_LINE.match(line.text)
        if number:
            if marker_lines and _on_page(number.group(1), line.page, notes_by_page):
                pending = number.group(1)
            continue  # a bare number is either a marker or noise
        if not line.text:
            kept.append(line)
            continue
        line.text, line.markers = _glued_markers(line, notes_by_page, last)
        if pending:
            position, line.text = _place_marker(line.text)
            line.markers.append((position, pending))
            pending = None
        if line.markers:
            last = max(last, max(int(n) for _, n in line.markers))
        kept.append(line)
    lines[:] = kept
    have = {f.number for f in footnotes}
    for line in lines:
        for _, number in line.markers:
            if number not in have:
                footnotes.append(Footnote(number, "", None, line.page))
                have.add(number)
    footnotes.sort(key=lambda f: int(f.number))


def _on_page(number: str, page: int | None, notes_by_page: dict[str, int | None]) -> bool:
    """Is there a note ``number`` on the marker's page? (A note stands on its marker's page.)"""
    return number in notes_by_page and (page is None or notes_by_page[number] in (None, page))


def _glued_markers(line: _Line, notes_by_page: dict[str, int | None], last: int) -> tuple[str, list[tuple[int, str]]]:
    """``line``'s text without glued markers, and (position, number) of each marker taken out.

    Numbers must rise past ``last``; "CO2" or "G20" stay, as no note 2 or 20 is due there.
    """
    text = line.text
    markers: list[tuple[int, str]] = []
    pieces: list[str] = []
    position = 0
    for match in _GLUED_MARKER.finditer(text):
        n = int(match.group(1))
        before = text[match.start() - 1]
        expected = n == last + 1 and (before.islower() or before in ".»”’\"')")
        if n <= last or not (_on_page(match.group(1), line.page, notes_by_page) or expected):
            continue
        pieces.append(text[position : match.start()])
        markers.append((sum(map(len, pieces)), match.group(1)))
        position = match.end()
        last = n
    pieces.append(text[position:])
    return "".join(pieces), markers


def _place_marker(text: str) -> tuple[int, str]:
    """Where a marker from the line above belongs in ``text``, and the text with its gap closed."""
    gap = _MARKER_GAP.search(text)
    if gap:
        return gap.start(), text[: gap.start()] + text[gap.end() :]
    start, end = sentence_spans(text)[0]
    if _SENTENCE_END.search(text[start:end]):
        return end - len(re.search(r"[.!?:;]*[”’\"»)\]]*$", text[:end]).group()), text
    return len(text), text


# --- 5: paragraphs -----------------------------------------------------------------------------


def word_counts(text: str) -> Counter:
    """How often each word occurs in ``text`` (lower case); hyphenated compounds count as a whole too."""
    counts: Counter = Counter()
    for token in _COMPOUND.findall(text.lower()):
        counts[token] += 1
        if "-" in token:
            counts.update(token.split("-"))
    return counts


def join_lines(left: str, right: str, words: Counter) -> tuple[str, int]:
    """Join two lines of one paragraph; returns the text and where ``right`` starts in it.

    A line ending in a hyphen glued to a word is a split word when the next line goes on in
    lower case ("terug-" + "dringen" → "terugdringen"), unless the hyphen is real: after a
    digit, an acronym, a single letter or in a web address ("COVID-19-", "EU-", "vis-a-",
    ".../european-agenda-"), or the hyphenated form occurs elsewhere in the letter
    ("out-of-the-box"), or a capitalised word that also stands alone elsewhere is joined to a
    word the letter never writes as one. Before a capital or digit the hyphen stays without a
    space ("EU-" + "Turkije" → "EU-Turkije"); before "en"/"of" it is a suspended compound
    ("herkomst- en transitlanden"). ``words`` are the letter's :func:`word_counts`.
    """
    token = left.rsplit(" ", 1)[-1]
    first = right.split(" ", 1)[0]
    if not (token.endswith("-") and len(token) > 1 and token[-2].isalnum()):
        return left + " " + right, len(left) + 1
    stem = token[:-1]
    piece = stem.rsplit("-", 1)[-1]
    if first in ("en", "of") or not first[:1].islower():
        sep = " " if first in ("en", "of") else ""
        return left + sep + right, len(left) + len(sep)
    after = _WORD.match(first)
    after = after.group().lower() if after else ""
    compound = stem.lstrip("\"'“‘«(").lower()
    real_hyphen = (
        piece[-1].isdigit()
        or len(piece) == 1
        or (piece.isupper() and len(piece) >= 2)
        or "/" in stem
        or "@" in stem
        or words[f"{compound}-{after}"] > 0
        or (piece[0].isupper() and words[piece.lower()] > 1 and words[piece.lower() + after] == 0)
    )
    if real_hyphen:
        return left + right, len(left)
    return left[:-1] + right, len(left) - 1


def _assemble(lines: list[_Line], footnotes: list[Footnote], words: Counter, has_pages: bool) -> CleanText:
    content = [i for i, line in enumerate(lines) if line.text]
    widths = _widths(lines)
    heading = _headings(lines, content, widths)
    paragraphs: list[list[int]] = []
    for k, i in enumerate(content):
        if k == 0 or _breaks(lines, content[k - 1], i, heading, widths):
            paragraphs.append([i])
        else:
            paragraphs[-1].append(i)

    text_parts: list[str] = []
    blocks: list[Block] = []
    pages: list[tuple[int, int]] = []
    offset = 0
    notes = {f.number: f for f in footnotes}
    for para in paragraphs:
        if text_parts:
            text_parts.append("\n\n")
            offset += 2
        text = ""
        starts: list[int] = []
        for i in para:
            if not text:
                text, start = lines[i].text, 0
            else:
                text, start = join_lines(text, lines[i].text, words)
            starts.append(start)
        for i, start in zip(para, starts, strict=True):
            line = lines[i]
            if has_pages and line.page is not None and (not pages or pages[-1][1] != line.page):
                pages.append((offset + start, line.page))
            for position, number in line.markers:
                note = notes[number]
                note.marker_offset = offset + min(start + position, len(text))
                note.page = note.page if note.text else line.page
        kind = "heading" if heading.get(para[0]) else "paragraph"
        blocks.append(Block(kind, offset, offset + len(text)))
        text_parts.append(text)
        offset += len(text)
    return CleanText("".join(text_parts), blocks, pages, footnotes)


def _widths(lines: list[_Line]) -> dict[int, float]:
    """The text width of each page (90th percentile of its line lengths)."""
    by_segment: dict[int, list[int]] = {}
    for line in lines:
        if line.text:
            by_segment.setdefault(line.segment, []).append(len(line.text))
    everything = sorted(n for lengths in by_segment.values() for n in lengths) or [80]
    overall = everything[int(0.9 * (len(everything) - 1))]
    widths = {}
    for segment, lengths in by_segment.items():
        lengths.sort()
        widths[segment] = lengths[int(0.9 * (len(lengths) - 1))] if len(lengths) >= _MIN_WIDTH_LINES else overall
    return widths


def _short(line: _Line, widths: dict[int, float]) -> bool:
    """Clearly shorter than a full line of its page."""
    return len(line.text) < _SHORT * widths[line.segment]


def _fits(a: _Line, b: _Line, widths: dict[int, float]) -> bool:
    """Would the first word of ``b`` still have fitted on line ``a``? Then ``a`` ended on purpose."""
    return len(a.text) + 1 + len(b.text.split(" ", 1)[0]) <= _FIT * widths[a.segment]


def _page_jump(a: _Line, b: _Line) -> bool:
    """Pages are missing between the two lines (an extraction of odd pages only)."""
    return a.page is not None and b.page is not None and b.page - a.page > 1


def _heading_like(text: str) -> bool:
    """Capital or section number first, no final punctuation, not ending on "de", "van", ..."""
    words = text.split()
    return (
        len(text) <= _HEADING_CHARS
        and text[-1] not in ".,;:!?"
        and (text[0].isupper() or bool(_NUMBERED_HEADING.match(text)))
        and words[-1].lower() not in _CONNECTORS
    )


def _opens(line: _Line | None) -> bool:
    """Does ``line`` open a new unit (capital, digit, bullet, opening quote)? ``None``: end of text."""
    return line is None or not line.text[0].islower()


def _headings(lines: list[_Line], content: list[int], widths: dict[int, float]) -> dict[int, bool]:
    """Heading lines: short, no final punctuation, after a finished sentence, before a new one.

    A heading may take two lines when the second goes on in lower case ("2. Versterken ... in de"
    + "regio", "3 Verdieping opvang" + "in de regio").
    """
    heading: dict[int, bool] = {}

    def after(k: int) -> _Line | None:
        if k + 1 >= len(content) or _page_jump(lines[content[k]], lines[content[k + 1]]):
            return None
        return lines[content[k + 1]]

    k = 0
    while k < len(content):
        line = lines[content[k]]
        before = lines[content[k - 1]] if k else None
        starts = (
            before is None
            or heading.get(content[k - 1], False)
            or before.segment != line.segment
            or bool(_SENTENCE_END.search(before.text))
        )
        nxt = after(k)
        listed = _NUMBERED_ITEM.match(line.text) and any(
            n is not None and _NUMBERED_ITEM.match(n.text) for n in (before, nxt)
        )
        if starts and not _BULLET.match(line.text) and not listed:
            if _heading_like(line.text) and _short(line, widths) and _opens(nxt):
                heading[content[k]] = True
                k += 1
                continue
            if (
                nxt is not None
                and nxt.text[0].islower()
                and _short(nxt, widths)
                and (_short(line, widths) or _NUMBERED_HEADING.match(line.text))
                and _heading_like(f"{line.text} {nxt.text}")
                and _opens(after(k + 1))
            ):
                heading[content[k]] = heading[content[k + 1]] = True
                k += 2
                continue
        k += 1
    return heading


def _breaks(lines: list[_Line], i: int, j: int, heading: dict[int, bool], widths: dict[int, float]) -> bool:
    """Does a new paragraph start between content lines ``i`` and ``j``?"""
    a, b = lines[i], lines[j]
    if heading.get(i) != heading.get(j) or (heading.get(i) and not b.text[0].islower()):
        return True
    if heading.get(i):
        return False  # the second line of a two-line heading
    if _page_jump(a, b) or _BULLET.match(b.text):
        return True
    if b.text[0].islower() or a.text.endswith("-"):
        return False
    blank = any(not lines[n].text and not lines[n].ignorable_blank for n in range(i + 1, j))
    finished = bool(_SENTENCE_END.search(a.text))
    if blank:
        return finished or _fits(a, b, widths)
    return finished and (_fits(a, b, widths) or bool(_NUMBERED_ITEM.match(b.text)))
