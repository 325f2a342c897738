"""Letters added from the page: copied to ``$RAG_HOME/uploads``, indexed incrementally, searchable at once.

The app's one :class:`SharedAssistant` is rebuilt on the new index (reusing the loaded embedding
model) and swapped under a lock, so questions in flight finish on the old index and later ones
see the new letters without a restart.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from index.build import BuildError, Progress, build_index, indexed_sources
from index.config import Config
from index.store import load_index
from rag.assistant import Assistant

UPLOAD_TYPES = (".pdf", ".txt")


class SharedAssistant:
    """The one Assistant all sessions ask; swapped as a whole after letters are added."""

    def __init__(self, assistant: Assistant):
        self._assistant = assistant
        self._swap = threading.Lock()
        self._building = threading.Lock()  # one index build at a time

    @property
    def current(self) -> Assistant:
        with self._swap:
            return self._assistant

    def add_letters(self, files: list[str | Path], config: Config, progress: Progress | None = None) -> list[str]:
        """Copy ``files`` into the uploads folder and index them with the letters already indexed.

        Returns one line per file saying whether it was added, merged with a letter it duplicates or
        rejected (and why), then the size of the new index.
        """
        uploads = config.index_dir.parent / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        lines, added = [], []
        for file in files:
            name = Path(file).name
            if Path(name).suffix.lower() not in UPLOAD_TYPES:
                lines.append(f"✗ {name}: not a .pdf or .txt file")
                continue
            shutil.copyfile(file, uploads / name)
            added.append((uploads / name).resolve())
        if not added:
            return lines
        with self._building:
            current = self.current
            sources = [p for p in indexed_sources(config) if p.resolve() not in added]
            try:
                report = build_index(sources + added, config, progress=progress, embedder=current.embedder)
            except BuildError as exc:
                return lines + [f"✗ nothing was added: {exc}"]
            with self._swap:
                self._assistant = Assistant(load_index(config.index_dir), current.embedder, config)
        failed = {error.path.resolve(): error.reason for error in report.errors}
        for path in added:
            same = _same_letter(path.stem, report.duplicates)
            if path in failed:
                lines.append(f"✗ {path.name}: {failed.pop(path)}")
            elif same:
                lines.append(f"≈ {path.name}: the same letter as {', '.join(same)}; the two are merged")
            else:
                lines.append(f"✓ {path.name}: added")
        lines += [f"✗ {path.name} (indexed before): {reason}" for path, reason in failed.items()]
        lines.append(f"The index now holds {report.letters} letters and {report.passages} passages; all are searchable now.")
        return lines


def _same_letter(letter_id: str, duplicates: dict[str, str]) -> list[str]:
    """Other ids of one letter after de-duplication: its canonical id, or the aliases merged into it."""
    if letter_id in duplicates:
        return [duplicates[letter_id]]
    return [alias for alias, canonical in duplicates.items() if canonical == letter_id]
