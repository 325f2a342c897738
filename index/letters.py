"""Load letters: read a file, clean it, read its metadata, and return a :class:`Letter`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from index.cleaning import clean_document
from index.loaders import SUPPORTED_EXTENSIONS, LoadError, read_document
from index.metadata import fallback_title, read_metadata
from index.models import Letter


def load_letter(path: str | Path) -> Letter:
    """Read, clean and describe one file; raises :class:`LoadError` when it cannot be used."""
    raw = read_document(path)
    meta = read_metadata(raw.text)
    cleaned = clean_document(raw, meta)
    if not cleaned.text.strip():
        raise LoadError(raw.path, "no running text left after removing page furniture")
    return Letter(
        id=raw.path.stem,
        source=str(raw.path),
        text=cleaned.text,
        blocks=cleaned.blocks,
        pages=cleaned.pages,
        footnotes=cleaned.footnotes,
        title=meta.title or fallback_title(cleaned.text, cleaned.blocks),
        date=meta.date,
        period=meta.period,
        kenmerk=meta.kenmerk,
        kamerstuk=meta.kamerstuk,
        addressee=meta.addressee,
        signatories=meta.signatories,
        content_hash=raw.content_hash,
    )


def expand_paths(paths: list[str | Path]) -> tuple[list[Path], list[LoadError]]:
    """Files to load: folders become their supported files (sorted), files are kept as given.

    A folder without supported files, or a path that does not exist, is an error.
    """
    files: list[Path] = []
    errors: list[LoadError] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS and not p.name.startswith(".")
            )
            if not found:
                errors.append(LoadError(path, f"folder has no letters ({', '.join(SUPPORTED_EXTENSIONS)} files)"))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            errors.append(LoadError(path, "no such file or folder"))
    unique = list(dict.fromkeys(p.resolve() for p in files))  # the same file named twice loads once
    return unique, errors


def load_letters(
    paths: list[str | Path],
    on_letter: Callable[[int, int], None] | None = None,
    cached: Callable[[Path], Letter | None] | None = None,
) -> tuple[list[Letter], list[LoadError]]:
    """Load every letter in ``paths`` (files or folders), carrying on past files that fail.

    Returns the letters and the errors; ``on_letter(done, total)`` reports progress. ``cached(path)``
    may return the letter :func:`load_letter` would make of the file (an index build passes the
    previous build's letters of unchanged files), which is then used instead of reading it again.
    """
    files, errors = expand_paths(paths)
    letters: list[Letter] = []
    for done, path in enumerate(files, 1):
        try:
            letter = cached(path) if cached else None
            letters.append(letter if letter is not None else load_letter(path))
        except LoadError as exc:
            errors.append(exc)
        if on_letter:
            on_letter(done, len(files))
    return _unique_ids(letters), errors


def _unique_ids(letters: list[Letter]) -> list[Letter]:
    """``letters`` with unique ids: files of one name in different folders must not overwrite each other.

    The first file of a name (in path order) keeps the plain stem; the others get a suffix from their path.
    """
    seen: set[str] = set()
    renamed: dict[str, str] = {}
    for letter in sorted(letters, key=lambda letter: letter.source):
        if letter.id in seen:
            renamed[letter.source] = f"{letter.id}~{hashlib.sha256(letter.source.encode('utf-8')).hexdigest()[:8]}"
        seen.add(letter.id)
    return [replace(letter, id=renamed[letter.source]) if letter.source in renamed else letter for letter in letters]
