"""Move an English question's vector towards the Dutch side of the embedding space, for retrieval.

A multilingual model puts a question and its translation close together, not on top of each
other: English vectors sit, on average, one fixed direction away from their Dutch twins, a
component that says which language a text is in, not what it means. Against Dutch letters that
component counts against every English question alike and blurs which passage is closest.
Subtracting the mean English-minus-Dutch difference of parallel questions removes most of it
(language-mean centring; Libovický et al., "On the language neutrality of pre-trained
multilingual representations", 2020).

The pairs (``rag/data/parallel_questions.jsonl``) are questions about Dutch government policy in
general, none about migration, so the direction holds no topic of the bundled letters. It depends
only on the model, so it is computed once per model and cached beside it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from index.embedding import Embedder
from index.publish import publish_folder

PAIRS = Path(__file__).parent / "data" / "parallel_questions.jsonl"
_FILE = "direction.npy"


class LanguageShift:
    """Subtracts ``weight`` times the English-minus-Dutch direction from an English question's vector."""

    def __init__(self, direction: np.ndarray | None, weight: float):
        self.direction = None if direction is None or not weight else np.asarray(direction, np.float32)
        self.weight = weight

    @classmethod
    def for_model(cls, embedder: Embedder, weight: float, pairs: Path = PAIRS) -> "LanguageShift":
        """The shift for ``embedder``'s model: read from its cache, or computed from ``pairs`` and cached.

        Args:
            embedder: the model the questions and passages are embedded with.
            weight: how much of the direction is removed (0: the shift is off, nothing is computed).
            pairs: JSON Lines of ``{"nl": ..., "en": ...}``, one question in both languages a line.
        """
        if not weight:
            return cls(None, 0.0)
        raw = Path(pairs).read_bytes()
        key = f"{embedder.checksum[:16]}-{hashlib.sha256(raw).hexdigest()[:12]}"
        folder = embedder.cache_dir / f"language-shift-{key}"
        try:
            direction = np.load(folder / _FILE)
            if direction.shape != (embedder.dim,):
                raise ValueError(f"shape {direction.shape}")
        except (OSError, ValueError, EOFError):  # absent, damaged or of another shape: computed again
            direction = _direction(embedder, raw)
            shutil.rmtree(folder, ignore_errors=True)  # a damaged copy would win the publishing rename
            with publish_folder(folder, _FILE) as tmp:
                np.save(tmp / _FILE, direction)
        return cls(direction, weight)

    def apply(self, vector: np.ndarray) -> np.ndarray:
        """The shifted vector, unit length again; ``vector`` itself when the shift is off."""
        if self.direction is None:
            return vector
        shifted = np.asarray(vector, np.float32) - self.weight * self.direction
        return shifted / np.linalg.norm(shifted)


def _direction(embedder: Embedder, raw: bytes) -> np.ndarray:
    pairs = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    english = embedder.encode_queries([p["en"] for p in pairs])
    dutch = embedder.encode_queries([p["nl"] for p in pairs])
    return (english.mean(axis=0) - dutch.mean(axis=0)).astype(np.float32)
