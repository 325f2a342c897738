"""Reading files: encodings, HTML/XML/PDF, and a clear LoadError for every kind of bad file."""

from __future__ import annotations

import hashlib

import pytest
from helpers import LETTERS, letter_path

from index.letters import load_letter, load_letters
from index.loaders import LoadError, html_to_text, read_document

# A real sentence from letter 000, with the "ï" that must survive a cp1252 round trip.
FRAGMENT = (
    "Naar verwachting zullen de komende voorstellen van de Europese Commissie voor een nieuw Pact "
    "voor Asiel en Migratie ook aanvullende initiatieven voor geïntensiveerde externe samenwerking bevatten."
)


def _pdf(path, pages: list[str]) -> None:
    """Write a real PDF with a text layer, one page per string (matplotlib's PDF backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        for text in pages:
            fig = plt.figure(figsize=(6, 3))
            fig.text(0.05, 0.5, text)
            pdf.savefig(fig)
            plt.close(fig)


def _fails(path, *words: str) -> LoadError:
    with pytest.raises(LoadError) as info:
        read_document(path)
    message = str(info.value)
    assert path.name in message
    for word in words:
        assert word in message
    return info.value


def test_bundled_letter_is_one_page_with_its_hash():
    path = letter_path("000")
    raw = read_document(path)
    assert len(raw.pages) == 1
    assert raw.pages[0].lstrip().startswith("In reactie op de motie van het lid Becker c.s.1")
    assert raw.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_utf8_bom_is_dropped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + FRAGMENT.encode("utf-8"))
    assert read_document(path).pages == [FRAGMENT]


def test_cp1252_text_keeps_its_diaeresis(tmp_path):
    path = tmp_path / "oud.txt"
    path.write_bytes(FRAGMENT.encode("cp1252"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the file really is not UTF-8
    assert "geïntensiveerde externe samenwerking" in read_document(path).pages[0]
    assert "geïntensiveerde externe samenwerking" in load_letter(path).text


def test_empty_and_blank_files_are_refused(tmp_path):
    empty = tmp_path / "leeg.txt"
    empty.write_bytes(b"")
    _fails(empty, "empty")
    blank = tmp_path / "spaties.txt"
    blank.write_text(" \n\t\n  \n", encoding="utf-8")
    _fails(blank, "empty")


def test_binary_files_are_refused(tmp_path):
    with_nul = tmp_path / "plaatje.txt"
    with_nul.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    _fails(with_nul, "binary")
    control = tmp_path / "ruis.txt"
    control.write_bytes(bytes(range(1, 32)) * 40 + b"tekst")
    _fails(control, "binary")


def test_unsupported_missing_and_folder_paths(tmp_path):
    docx = tmp_path / "brief.docx"
    docx.write_bytes(b"PK\x03\x04")
    _fails(docx, "unsupported", ".docx")
    _fails(tmp_path / "bestaat-niet.txt", "not found")
    folder = tmp_path / "map.txt"
    folder.mkdir()
    _fails(folder, "folder")


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "geheim.txt"
    path.write_text(FRAGMENT, encoding="utf-8")
    original = type(path).read_bytes

    def denied(self):
        if self == path:  # what a chmod 000 file gives a normal user (the tests may run as root)
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    monkeypatch.setattr(type(path), "read_bytes", denied)
    _fails(path, "permission")


def test_corrupt_encrypted_and_textless_pdfs(tmp_path):
    from pypdf import PdfReader, PdfWriter

    corrupt = tmp_path / "kapot.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage without xref\n")
    _fails(corrupt, "PDF")

    plain = tmp_path / "brief.pdf"
    _pdf(plain, ["Datum 10 juli 2020"])
    writer = PdfWriter()
    writer.append(PdfReader(plain))
    writer.encrypt("geheim")
    encrypted = tmp_path / "versleuteld.pdf"
    with open(encrypted, "wb") as f:
        writer.write(f)
    _fails(encrypted, "encrypted")

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    scanned = tmp_path / "scan.pdf"
    with open(scanned, "wb") as f:
        writer.write(f)
    _fails(scanned, "no text layer")


def test_pdf_gives_one_entry_per_page_and_keeps_page_numbers(tmp_path):
    path = tmp_path / "twee.pdf"
    first = "Instrumenten\nHet regeerakkoord noemt in dit kader drie voorbeelden van specifieke instrumenten."
    second = "Europees spoor\nParallel aan de eigen inzet steunt Nederland de inzet van de Europese Unie."
    _pdf(path, [first, second])
    raw = read_document(path)
    assert len(raw.pages) == 2
    assert "drie voorbeelden" in raw.pages[0] and "Europese Unie" in raw.pages[1]

    letter = load_letter(path)
    assert [number for _, number in letter.pages] == [1, 2]
    assert letter.page_at(letter.text.index("drie voorbeelden")) == 1
    assert letter.page_at(letter.text.index("Parallel aan de eigen inzet")) == 2


def test_html_blocks_become_paragraphs_and_scripts_vanish():
    html = (
        "<html><head><title>x</title><style>p {color: red}</style></head><body>"
        "<h2>Europees spoor</h2><p>Parallel aan de eigen inzet steunt Nederland de inzet van de "
        "Europese&nbsp;Unie.</p><script>alert('x')</script><ul><li>Noord-Afrika</li><li>Sahel</li></ul>"
        "</body></html>"
    )
    assert html_to_text(html) == (
        "Europees spoor\n\nParallel aan de eigen inzet steunt Nederland de inzet van de Europese Unie."
        "\n\nNoord-Afrika\n\nSahel"
    )


def test_html_letter_loads_with_its_structure(tmp_path):
    path = tmp_path / "brief.html"
    path.write_text(
        "<html><body><p>In reactie op de motie van het lid Becker c.s. verstrekken wij uw Kamer hierbij een "
        "overzicht.</p><h2>Europees spoor</h2><p>Parallel aan de eigen inzet steunt Nederland de inzet van de "
        "Europese Unie om de migratiesamenwerking met landen buiten Europa gezamenlijk te versterken.</p></body></html>",
        encoding="utf-8",
    )
    letter = load_letter(path)
    assert [(b.kind, letter.text[b.start : b.end][:14]) for b in letter.blocks] == [
        ("paragraph", "In reactie op "),
        ("heading", "Europees spoor"),
        ("paragraph", "Parallel aan d"),
    ]
    assert letter.pages == []  # a web page has no pages


def test_xml_elements_with_text_become_paragraphs(tmp_path):
    path = tmp_path / "kamerstuk.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><stuk><tussenkop>Instrumenten</tussenkop>'
        "<al>Het regeerakkoord noemt <nadruk>drie</nadruk> voorbeelden.</al></stuk>",
        encoding="utf-8",
    )
    assert read_document(path).pages == ["Instrumenten\n\nHet regeerakkoord noemt drie voorbeelden."]
    broken = tmp_path / "kapot.xml"
    broken.write_text("<stuk><al>open", encoding="utf-8")
    _fails(broken, "malformed XML")


def test_load_letter_identity():
    path = letter_path("004")
    letter = load_letter(path)
    assert letter.id == path.stem
    assert letter.source == str(path)
    assert letter.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_load_letters_expands_folders_and_keeps_going(tmp_path):
    (tmp_path / "b_goed.txt").write_text(FRAGMENT, encoding="utf-8")
    (tmp_path / "a_leeg.txt").write_bytes(b"")
    (tmp_path / "notities.docx").write_bytes(b"PK")  # not a supported type: not picked up from a folder
    empty_folder = tmp_path / "leeg"
    empty_folder.mkdir()
    seen = []
    letters, errors = load_letters([tmp_path, empty_folder], on_letter=lambda done, total: seen.append((done, total)))
    assert [letter.id for letter in letters] == ["b_goed"]
    assert sorted(e.path.name for e in errors) == ["a_leeg.txt", "leeg"]
    assert any("leeg" in str(e) and "no letters" in str(e) for e in errors)
    assert seen == [(1, 2), (2, 2)]


def test_load_letters_reads_the_bundled_folder_in_order():
    letters, errors = load_letters([LETTERS])
    assert errors == []
    assert [letter.id[:3] for letter in letters] == ["000", "001", "002", "003", "004"]
