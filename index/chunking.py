"""Cut a cleaned letter into passages that follow its structure: sections, paragraphs, sentences.

- Sections are packed one by one; the section heading travels with each of its passages
  (``Passage.heading``) and counts against the token budget, because it is embedded with them.
  Consecutive sections that fit one passage together are joined first (the later headings stay
  in the text): a page of short headed sections, such as an FAQ answer, would otherwise become
  passages too small to say what the page is about.
- Whole paragraphs are packed up to ``max_tokens``. A paragraph that fits in a passage of its own
  is not split (unless the passage being filled holds under ``min_tokens`` of new text: then the
  paragraph's first sentences fill it rather than leaving it tiny); a longer one is split at
  sentence boundaries, and only a sentence longer than a whole passage is cut, at word boundaries.
- Consecutive passages of a section overlap by whole trailing sentences (up to
  ``overlap_tokens``); a trailing fragment under ``min_tokens`` joins the previous passage when
  the budget allows, and overlap is given up before a passage with almost nothing new is made.
- Body passages are exact spans: ``passage.text == letter.text[passage.start:passage.end]``.
- Footnotes become passages of their own, anchored at their marker.

Token counts are tiktoken counts (``ChunkConfig.encoding``); an optional ``fits`` check with the
embedding model's own tokenizer is applied on top, so no passage is truncated by the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from index.config import ChunkConfig
from index.errors import UserError
from index.metadata import MONTH_NAMES
from index.models import Letter, Passage
from index.sentences import sentence_spans
from index.tokens import count_tokens

Fits = Callable[[str], bool]

#: Raised when the chunker cuts differently for the same settings: an index built by another
#: version is then reported as mismatched instead of silently mixing passage boundaries.
#: 2: short consecutive sections are joined.
CHUNKER_VERSION = 2


def chunker_settings(cfg: ChunkConfig) -> dict:
    """What an index manifest records about its chunker, and what opening an index compares."""
    return {**cfg.model_dump(), "version": CHUNKER_VERSION}

_PARAGRAPH = re.compile(r"\S.*?(?=\s*\n[ \t]*\n|\s*\Z)", re.DOTALL)  # up to a blank line
_WORD = re.compile(r"\S+")


@dataclass
class _Unit:
    """A sentence, or a word-boundary piece of a sentence too long for one passage."""

    start: int
    end: int
    whole: bool = True  # only whole sentences are carried over as overlap


@dataclass
class _Section:
    heading: str | None
    paragraphs: list[tuple[int, int]]
    heading_span: tuple[int, int] | None = None  # where the (last) heading line stands in the text


def _render(heading: str | None, text: str) -> str:
    """The text that is embedded for a passage: the heading travels with it."""
    return Passage(id="", letter="", text=text, start=0, end=0, heading=heading).embedding_text()


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _sections(letter: Letter) -> list[_Section]:
    """The letter's sections in order; consecutive headings are read as one nested heading."""
    text = letter.text
    blocks = sorted(letter.blocks, key=lambda b: b.start)
    if not blocks:  # no structure recorded: paragraphs are separated by blank lines
        return [_Section(None, [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)])]
    sections = [_Section(None, [])]
    for block in blocks:
        span = _trimmed(text, block.start, block.end)
        if span is None:
            continue
        if block.kind == "heading":
            title = " ".join(text[span[0] : span[1]].split())
            if sections[-1].heading and not sections[-1].paragraphs:
                sections[-1].heading += f" – {title}"
                sections[-1].heading_span = (sections[-1].heading_span[0], span[1])
            else:
                sections.append(_Section(title, [], span))
        else:
            sections[-1].paragraphs.append(span)
    return [s for s in sections if s.paragraphs]


def _join_short_sections(sections: list[_Section], text: str, cfg: ChunkConfig, fits: Fits | None) -> list[_Section]:
    """Consecutive sections joined while the joined text fits one passage (the later heading lines
    become part of the text); a section that does not fit with the next is left as it was."""
    joined: list[_Section] = []
    for section in sections:
        last = joined[-1] if joined else None
        if last is not None and section.heading_span is not None:
            paragraphs = [*last.paragraphs, section.heading_span, *section.paragraphs]
            rendered = _render(last.heading, text[paragraphs[0][0] : paragraphs[-1][1]])
            if count_tokens(rendered, cfg.encoding) <= cfg.max_tokens and (fits is None or fits(rendered)):
                last.paragraphs = paragraphs
                continue
        joined.append(_Section(section.heading, list(section.paragraphs), section.heading_span))
    return joined


class _SectionPacker:
    """Greedy packing of one section's sentences into passage spans (see the module docstring)."""

    def __init__(self, text: str, heading: str | None, cfg: ChunkConfig, fits: Fits | None):
        self.text = text
        self.heading = heading
        self.cfg = cfg
        self.fits = fits
        self.chunks: list[tuple[list[_Unit], int]] = []  # closed passages, with their overlap count
        self.units: list[_Unit] = []  # the passage being filled
        self.carried = 0  # how many leading units of it are overlap from the previous passage

    def pack(self, paragraphs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        for start, end in paragraphs:
            sentences = [_Unit(s, e) for s, e in sentence_spans(self.text, start, end)]
            if self._try_add(sentences):
                continue
            if self._within_budget(sentences) and not self._nearly_empty():
                self._emit()  # the paragraph fits a passage of its own: keep it whole
                self._try_add(sentences)
                continue
            for sentence in sentences:  # split anyway: fill the current passage first
                self._add_sentence(sentence)
        self._finish()
        return [(units[0].start, units[-1].end) for units, _ in self.chunks]

    def _within_budget(self, units: list[_Unit]) -> bool:
        rendered = _render(self.heading, self.text[units[0].start : units[-1].end])
        if count_tokens(rendered, self.cfg.encoding) > self.cfg.max_tokens:
            return False
        return self.fits is None or self.fits(rendered)

    def _tokens(self, units: list[_Unit]) -> int:
        return count_tokens(self.text[units[0].start : units[-1].end], self.cfg.encoding) if units else 0

    def _new_tokens(self) -> int:
        return self._tokens(self.units[self.carried :])

    def _nearly_empty(self) -> bool:
        """Whether the current passage has (almost) nothing beyond the overlap it carries."""
        return len(self.units) == self.carried or self._new_tokens() < self.cfg.min_tokens

    def _try_add(self, new: list[_Unit]) -> bool:
        """Append ``new`` to the current passage if it fits, giving up overlap to avoid a tiny passage."""
        drops = range(self.carried + 1) if self._nearly_empty() else range(1)
        for drop in drops:
            if self._within_budget(self.units[drop:] + new):
                del self.units[:drop]
                self.carried -= drop
                self.units += new
                return True
        return False

    def _add(self, unit: _Unit) -> bool:
        """Append ``unit``, closing the current passage first if it is full."""
        if self._try_add([unit]):
            return True
        if len(self.units) > self.carried:
            self._emit()
            return self._try_add([unit])
        return False

    def _add_sentence(self, sentence: _Unit) -> None:
        if self._add(sentence):
            return
        for piece in self._word_pieces(sentence):
            if not self._add(piece):
                self.units.append(piece)  # a single word over the budget: nothing left to cut

    def _word_pieces(self, sentence: _Unit) -> Iterator[_Unit]:
        """Cut an over-long sentence into the longest word runs that fit a passage alone."""
        words = [(m.start(), m.end()) for m in _WORD.finditer(self.text, sentence.start, sentence.end)]
        start, end = words[0]
        for word_start, word_end in words[1:]:
            if self._within_budget([_Unit(start, word_end)]):
                end = word_end
            else:
                yield _Unit(start, end, whole=False)
                start, end = word_start, word_end
        yield _Unit(start, end, whole=False)

    def _emit(self) -> None:
        """Close the current passage and start the next with its trailing sentences as overlap."""
        self.chunks.append((self.units, self.carried))
        carry: list[_Unit] = []
        for unit in reversed(self.units[1:]):
            if not unit.whole or self._tokens([unit] + carry) > self.cfg.overlap_tokens:
                break
            carry.insert(0, unit)
        self.units, self.carried = carry, len(carry)

    def _finish(self) -> None:
        """Close the last passage; a tiny one joins the previous, which gives up overlap if need be."""
        new = self.units[self.carried :]
        if not new:
            return
        if self.chunks and self._new_tokens() < self.cfg.min_tokens:
            previous, carried = self.chunks[-1]
            for drop in range(carried + 1):
                if self._within_budget(previous[drop:] + new):
                    self.chunks[-1] = (previous[drop:] + new, carried - drop)
                    return
        self.chunks.append((self.units, self.carried))


def chunk_letter(letter: Letter, cfg: ChunkConfig, fits: Fits | None = None) -> list[Passage]:
    """The passages of ``letter``: its letterhead facts, body passages in text order, then its footnotes.

    ``fits(embedding_text)`` optionally checks a passage against the embedding model's own
    tokenizer (prefix included); passages that would not fit are split further.
    """
    passages: list[Passage] = []
    for section in _join_short_sections(_sections(letter), letter.text, cfg, fits):
        for start, end in _SectionPacker(letter.text, section.heading, cfg, fits).pack(section.paragraphs):
            passages.append(
                Passage(
                    id="",
                    letter=letter.id,
                    text=letter.text[start:end],
                    start=start,
                    end=end,
                    page=letter.page_at(start),
                    heading=section.heading,
                )
            )
    for note in letter.footnotes:
        body = _trimmed(note.text, 0, len(note.text))
        if body is None:
            continue
        anchor = note.marker_offset if note.marker_offset is not None else 0
        page = note.page
        if page is None and note.marker_offset is not None:
            page = letter.page_at(note.marker_offset)
        # A long footnote is packed like a one-paragraph section of its own text.
        for start, end in _SectionPacker(note.text, None, cfg, fits).pack([body]):
            passages.append(
                Passage(
                    id="",
                    letter=letter.id,
                    text=note.text[start:end],
                    start=anchor,
                    end=anchor,
                    page=page,
                    kind="footnote",
                    footnote=note.number,
                )
            )
    card = letterhead_passage(letter)
    if card is not None:
        passages.insert(0, card)
    for n, passage in enumerate(passages):
        passage.id = f"{letter.id}#{n}"
    return passages


def letterhead_passage(letter: Letter) -> Passage | None:
    """The letterhead facts (kenmerk, date, subject, Kamerstuk, addressee) and who signed, as one passage.

    Cleaning removes the letterhead from the running text, but users ask for exactly these
    facts ("welk kenmerk draagt de brief van 10 juli 2020?", "wie ondertekende hem?"). Fields keep
    the letter's own labels and stand in paragraphs of their own, so each is a sentence the
    composer can quote: a signature's office and name, apart on the letter's last lines, become
    one ("Ondertekend door S.A. Blok, de Minister van Buitenlandse Zaken"). Documents without a
    letterhead or signature (no date, kenmerk, Kamerstuk number or signatory) get none.
    """
    if not (letter.date or letter.kenmerk or letter.kamerstuk or letter.signatories):
        return None
    fields = [
        f"Ons kenmerk {letter.kenmerk}" if letter.kenmerk else None,
        f"Datum {_dutch_date(letter.date)}" if letter.date else None,
        f"Onderwerp {letter.title}" if letter.title else None,
        f"Kamerstuk {letter.kamerstuk}" if letter.kamerstuk else None,
        letter.addressee,
        *(f"Ondertekend door {name}, {office}" for name, office in letter.signatories),
    ]
    text = "\n\n".join(f for f in fields if f)
    return Passage(id="", letter=letter.id, text=text, start=0, end=0, page=1 if letter.pages else None, kind="letterhead")


def _dutch_date(iso: str) -> str:
    year, month, day = (int(x) for x in iso.split("-"))
    return f"{day} {MONTH_NAMES[month - 1]} {year}"


class TokenizerError(UserError, ValueError):
    """The model's tokenizer file is missing or malformed."""


def model_token_counter(tokenizer_json_path: str | Path, prefix: str = "passage: ", max_tokens: int = 512) -> Fits:
    """A ``fits`` check: does ``prefix + text`` stay within ``max_tokens`` of this HF tokenizer?

    Special tokens count, as they do in the model's window.
    """
    from tokenizers import Tokenizer  # only needed when the check is asked for

    try:
        tokenizer = Tokenizer.from_file(str(tokenizer_json_path))
    except Exception as exc:  # the Rust side raises bare Exceptions for missing or malformed files
        raise TokenizerError(f"cannot read tokenizer {tokenizer_json_path}: {exc}") from exc
    tokenizer.no_truncation()  # a truncating tokenizer would make every text "fit"

    def fits(text: str) -> bool:
        return len(tokenizer.encode(prefix + text).ids) <= max_tokens

    return fits
