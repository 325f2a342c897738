"""Helpers shared by the test modules: the bundled letters on disk.

Imported as ``from helpers import ...``: pyproject's ``[tool.pytest.ini_options] pythonpath``
puts tests/ on the import path, so this works under ``pytest`` and ``python -m pytest`` alike
(``tests.conftest`` only resolved under the second, and conftest is for fixtures).
"""

from __future__ import annotations

from pathlib import Path

from index.config import bundled_letters_dir

LETTERS = bundled_letters_dir()


def letter_path(prefix: str) -> Path:
    """The bundled letter file whose name starts with ``prefix`` (e.g. "004")."""
    (path,) = LETTERS.glob(f"{prefix}_*.txt")
    return path
