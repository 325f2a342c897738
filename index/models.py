"""Plain records that travel from the letters to the index and on to answers.

Offsets are character offsets into ``Letter.text``, the cleaned text of a letter; every
passage, heading and footnote can therefore be shown highlighted in the whole letter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Footnote:
    """A footnote text, linked to the place in the running text where its marker stood."""

    number: str
    text: str
    marker_offset: int | None = None  # offset in Letter.text just after the word carrying the marker
    page: int | None = None


@dataclass
class Block:
    """A structural unit of the cleaned text: a heading or a paragraph."""

    kind: str  # "heading" | "paragraph"
    start: int
    end: int


@dataclass
class Letter:
    """One cleaned letter: its running text, structure, pages and metadata."""

    id: str  # stable id, the source file's stem (e.g. "004_e0a75123764b20dc")
    source: str  # path of the file it came from
    text: str  # cleaned running text; paragraphs separated by a blank line
    blocks: list[Block] = field(default_factory=list)
    pages: list[tuple[int, int]] = field(default_factory=list)  # (start offset, page number), sorted
    footnotes: list[Footnote] = field(default_factory=list)
    title: str | None = None  # onderwerp / title
    date: str | None = None  # ISO yyyy-mm-dd
    period: str | None = None  # for an undated report: the year(s) it says it covers ("2023", "2021–2023")
    kenmerk: str | None = None
    kamerstuk: str | None = None  # e.g. "19 637, nr. 2675"
    addressee: str | None = None
    signatories: list[tuple[str, str]] = field(default_factory=list)  # (name, office): ("S.A. Blok", "de Minister van Buitenlandse Zaken")
    content_hash: str = ""  # sha256 of the source bytes
    aliases: list[str] = field(default_factory=list)  # ids of other extractions of this same letter

    def page_at(self, offset: int) -> int | None:
        """The page number on which the character at ``offset`` stands, if the source has pages."""
        page = None
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Letter":
        d = dict(d)
        d["blocks"] = [Block(**b) for b in d.get("blocks", [])]
        d["pages"] = [tuple(p) for p in d.get("pages", [])]
        d["signatories"] = [tuple(s) for s in d.get("signatories", [])]
        d["footnotes"] = [Footnote(**f) for f in d.get("footnotes", [])]
        return cls(**d)


@dataclass
class Passage:
    """A retrievable chunk of a letter (or one footnote), with everything needed to cite it."""

    id: str  # "<letter id>#<n>"
    letter: str  # Letter.id
    text: str  # exactly Letter.text[start:end] for body passages; the footnote text for footnotes
    start: int
    end: int
    page: int | None = None
    heading: str | None = None  # section heading the passage falls under
    kind: str = "body"  # "body" | "footnote" | "letterhead"
    footnote: str | None = None  # footnote number, for kind == "footnote"

    def embedding_text(self) -> str:
        """What is embedded and lexically indexed: the heading travels with its chunk."""
        if self.heading and not self.text.startswith(self.heading):
            return f"{self.heading}\n{self.text}"
        return self.text

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Passage":
        return cls(**d)
