"""Read a source file into raw text: plain text, HTML, XML or PDF (pypdf text layer).

Everything that can go wrong with a file becomes a :class:`LoadError` that names the file and
the problem, so callers can report it and carry on with the other files.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

from index.errors import UserError

#: Extensions read by :func:`read_document` (lower case, with the dot).
SUPPORTED_EXTENSIONS = (".txt", ".pdf", ".html", ".htm", ".xml")

# Share of non-printable characters above which decoded "text" is taken to be binary data.
_MAX_CONTROL_SHARE = 0.05
_HTML_BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul",
}  # fmt: skip
_HTML_SKIPPED = {"head", "script", "style", "noscript", "template"}


class LoadError(UserError):
    """A file that cannot be read as a letter; the message names the file and the reason."""

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass
class RawDocument:
    """The text of one source file, before cleaning.

    ``pages`` holds one entry per PDF page; text, HTML and XML files have a single entry (their
    page structure, if any, is found by the cleaning step).
    """

    path: Path
    pages: list[str]
    content_hash: str  # sha256 of the file's bytes

    @property
    def text(self) -> str:
        """All pages as one string, separated by form feeds."""
        return "\f".join(self.pages)


def read_document(path: str | Path) -> RawDocument:
    """Read ``path`` into a :class:`RawDocument`, or raise :class:`LoadError` saying why not."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise LoadError(path, f"unsupported file type {suffix or '(no extension)'!r}; "
                              f"supported: {', '.join(SUPPORTED_EXTENSIONS)}")  # fmt: skip
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError(path, "file not found") from None
    except IsADirectoryError:
        raise LoadError(path, "is a folder, not a file") from None
    except PermissionError:
        raise LoadError(path, "permission denied") from None
    except OSError as exc:
        raise LoadError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise LoadError(path, "file is empty")

    if suffix == ".pdf":
        pages = _pdf_pages(path, data)
    else:
        text = decode_text(path, data)
        if suffix in (".html", ".htm"):
            text = html_to_text(text)
        elif suffix == ".xml":
            text = _xml_to_text(path, text)
        pages = [text]
    if not any(page.strip() for page in pages):
        raise LoadError(path, "contains no text")
    return RawDocument(path=path, pages=pages, content_hash=hashlib.sha256(data).hexdigest())


def decode_text(path: Path, data: bytes) -> str:
    """Bytes to text: UTF-8 (a BOM is honoured and dropped), else Windows-1252; binary is refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data:
        raise LoadError(path, "looks like a binary file, not text (contains NUL bytes)")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Older Windows exports; the five bytes cp1252 leaves undefined become U+FFFD.
            text = data.decode("cp1252", errors="replace")
    control = sum(1 for ch in text if not ch.isprintable() and ch not in "\n\r\t\f")
    if control > _MAX_CONTROL_SHARE * len(text):
        raise LoadError(path, "looks like a binary file, not text (mostly unprintable characters)")
    return text


def _pdf_pages(path: Path, data: bytes) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns on every small flaw it repairs
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(path, "PDF is encrypted (password protected)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise LoadError(path, f"PDF is damaged or not a PDF ({exc})") from None
    except NotImplementedError as exc:  # e.g. an encryption algorithm pypdf cannot open
        raise LoadError(path, f"PDF cannot be opened ({exc})") from None
    if not pages:
        raise LoadError(path, "PDF has no pages")
    if not any(page.strip() for page in pages):
        raise LoadError(path, "PDF has no text layer (scanned images?); run OCR first")
    return pages


class _HTMLText(HTMLParser):
    """Collects the visible text of an HTML page; block elements become paragraph breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _HTML_SKIPPED:
            self.skipping += 1
        elif tag in _HTML_BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag, attrs):
        if tag in _HTML_BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in _HTML_SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _HTML_BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """The visible text of ``html``: scripts and styles dropped, one blank line between blocks."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return _paragraphs("".join(parser.parts))


def _xml_to_text(path: Path, xml: str) -> str:
    """Every element that carries text of its own becomes one paragraph (inline markup kept)."""
    try:
        root = ET.fromstring(xml)  # already decoded; an encoding declaration is then ignored
    except ET.ParseError as exc:
        raise LoadError(path, f"malformed XML ({exc})") from None
    paragraphs: list[str] = []

    def walk(element: ET.Element) -> None:
        if element.text and element.text.strip():
            paragraphs.append(" ".join("".join(element.itertext()).split()))
            return
        for child in element:
            walk(child)
            if child.tail and child.tail.strip():
                paragraphs.append(" ".join(child.tail.split()))

    walk(root)
    return "\n\n".join(paragraphs)


def _paragraphs(text: str) -> str:
    """Trim every line and leave exactly one blank line between paragraphs."""
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
