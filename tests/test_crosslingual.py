"""An English question's vector moved towards the Dutch side of the model (rag/crosslingual.py)."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np

from eval.dataset import SPLITS, load_dataset
from eval.metrics import K, retrieval_scores
from eval.run import RelevanceIndex
from rag.crosslingual import PAIRS, LanguageShift
from rag.language import detect_language
from rag.retrieve import Retriever

# Letter 000 (motie Becker, July 2020) says Turkey is "opvangland voor ruim 3,5 mln. Syriërs".
SYRIANS = "How many Syrians does Turkey host?"


def test_the_pairs_say_the_same_in_both_languages_and_leave_the_letters_theme_out():
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    assert len(pairs) >= 200
    assert all(set(p) == {"nl", "en"} for p in pairs)
    assert all(detect_language(p["nl"]) == "nl" for p in pairs)
    # The function-word detector takes one short English question for Dutch ("Is the dentist
    # covered once you're over eighteen?": "is" and "over" are Dutch words too).
    assert sum(detect_language(p["en"]) == "en" for p in pairs) >= 0.99 * len(pairs)
    theme = re.compile(r"migra|asiel|asylum|vluchteling|refugee|terugkeer", re.I)
    assert not [p for p in pairs if theme.search(p["nl"] + p["en"])]


def test_the_shift_brings_an_english_question_closer_to_its_dutch_twin(assistant):
    shift = assistant.retriever.shift
    english = assistant.embedder.encode_query(SYRIANS)
    dutch = assistant.embedder.encode_query("Hoeveel Syriërs vangt Turkije op?")
    moved = shift.apply(english)
    assert abs(np.linalg.norm(moved) - 1) < 1e-5
    assert float(moved @ dutch) > float(english @ dutch)


def test_english_questions_find_their_evidence_higher_with_the_shift(assistant):
    """dev_en asks dev's Dutch questions in English; dense retrieval alone shows the shift's effect."""
    items = [i for i in load_dataset(SPLITS["dev_en"]) if i.answerable]
    relevance = RelevanceIndex(assistant.store)
    off = Retriever(assistant.store, assistant.embedder, assistant.config.retrieval.model_copy(update={"language_shift": 0}))

    def mrr(retriever: Retriever) -> float:
        scores = []
        for item in items:
            relevant = relevance.relevant(item)
            sources = retriever.retrieve(item.question, k=K, mode="dense").sources
            scores.append(retrieval_scores([s.passage.id in relevant for s in sources], len(relevant))["mrr@10"])
        return float(np.mean(scores))

    assert mrr(assistant.retriever) > mrr(off) + 0.02  # measured: 0.74 -> 0.79


def test_a_dutch_question_is_searched_with_its_own_vector(assistant):
    question = "Hoeveel Syriërs vangt Turkije op?"
    retrieval = assistant.retriever.retrieve(question, mode="dense")
    assert np.array_equal(retrieval.query_vector, assistant.embedder.encode_query(question))


def test_the_direction_is_cached_beside_the_model_and_computed_again_when_damaged(embedder, tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "\n".join(
            json.dumps(p, ensure_ascii=False)
            for p in [
                {"nl": "Hoeveel kost de nieuwe brug?", "en": "How much does the new bridge cost?"},
                {"nl": "Wanneer gaat de wet in?", "en": "When does the law take effect?"},
            ]
        ),
        encoding="utf-8",
    )
    first = LanguageShift.for_model(embedder, 1.0, pairs)
    digest = hashlib.sha256(pairs.read_bytes()).hexdigest()[:12]
    cached = embedder.cache_dir / f"language-shift-{embedder.checksum[:16]}-{digest}"
    assert np.array_equal(np.load(cached / "direction.npy"), first.direction)
    for damage in (b"not a numpy file", b""):
        (cached / "direction.npy").write_bytes(damage)
        again = LanguageShift.for_model(embedder, 1.0, pairs)
        assert np.allclose(again.direction, first.direction, atol=1e-4)
        assert np.load(cached / "direction.npy").shape == (embedder.dim,)


def test_weight_zero_leaves_every_vector_alone(embedder):
    off = LanguageShift.for_model(embedder, 0.0)
    vector = embedder.encode_query(SYRIANS)
    assert off.direction is None and off.apply(vector) is vector
