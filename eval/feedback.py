"""Turn the app's feedback log into draft evaluation items (``rag eval --from-feedback``).

Each feedback line is a rating (``id``, ``timestamp``, ``verdict`` "up"|"down", ``comment``)
followed by every field of ``Answer.to_dict()`` (``question``, ``answer``, ``abstained``,
``citations``, ``language``, ...); a later line with the same ``id`` supersedes an earlier one
(schema: ui/feedback.py).

- thumbs up on an answer: an answerable draft item. Its evidence is the supporting sentences of
  the cited passages (``citations[].sentences``), its reference answer the answer text without
  ``[n]`` markers; ``key_facts`` stay empty for a reviewer to fill in. The type is a guess:
  "multi" when the evidence spans two letters, "number"/"why" from the question word, else "fact".
- thumbs up on an abstention: an unanswerable item (the user agreed the letters say nothing).
- thumbs down: an item to review, with the user's comment, marked ``"needs_review": true``;
  so is a thumbs up on an answer without cited sentences (nothing to use as evidence).

Drafts go to ``NEW.jsonl`` in the dataset format (:func:`eval.dataset.load_dataset` reads it).
The dataset format allows no extra fields, so items to review go to ``NEW.review.jsonl``.
Item ids are ``fb-`` plus a hash of the question; when a question was rated more than once, its
last rating wins.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from rag.language import detect_language
from rag.citations import strip_markers

_NUMBER_QUESTION = re.compile(r"\b(hoeveel|how many|how much)\b", re.I)
_WHY_QUESTION = re.compile(r"\b(waarom|why)\b", re.I)


NO_EVIDENCE = "Approved, but the answer cites no supporting sentences to use as evidence."


class FeedbackError(ValueError):
    """A feedback file that cannot be read or holds a malformed line."""


def _item_id(question: str) -> str:
    return "fb-" + hashlib.sha256(question.strip().casefold().encode("utf-8")).hexdigest()[:10]


def _guess_type(question: str, letters: set[str]) -> str:
    if len(letters) > 1:
        return "multi"
    if _NUMBER_QUESTION.search(question):
        return "number"
    if _WHY_QUESTION.search(question):
        return "why"
    return "fact"


def _draft(question: str, record: dict) -> dict | None:
    """A dataset item from an answer the user approved; ``None`` if it cites no sentences."""
    evidence = [
        {"letter": c["letter"], "text": " ".join(sentence.split())}
        for c in record.get("citations", [])
        for sentence in c.get("sentences", [])
        if sentence.strip()
    ]
    abstained = bool(record.get("abstained"))
    if not abstained and not evidence:
        return None
    return {
        "id": _item_id(question),
        "question": question,
        "answer": " ".join(strip_markers(record["answer"]).split()),
        "evidence": [] if abstained else evidence,
        "key_facts": [],
        "type": "unanswerable" if abstained else _guess_type(question, {e["letter"] for e in evidence}),
        "language": record.get("language") or detect_language(question),
        "answerable": not abstained,
    }


def _review(question: str, record: dict, note: str = "") -> dict:
    """An item for a person to write, from an answer the user rejected (or could not be drafted)."""
    return {
        "id": _item_id(question),
        "question": question,
        "needs_review": True,
        "verdict": record["verdict"],
        "comment": " ".join(filter(None, [note, record.get("comment")])),
        "timestamp": record.get("timestamp"),
        "system_answer": record["answer"],
        "abstained": bool(record.get("abstained")),
        "cited_letters": sorted({c["letter"] for c in record.get("citations", [])}),
    }


def items_from_feedback(path: Path | str) -> tuple[list[dict], list[dict]]:
    """(draft items, items to review) from a feedback JSONL file."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedbackError(f"{path}: cannot read feedback ({exc})") from exc
    ratings: dict = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("expected a JSON object")
            question, verdict = record["question"].strip(), record["verdict"]
            if not question or not isinstance(record["answer"], str):
                raise ValueError("'question' and 'answer' must be strings, the question non-empty")
            if verdict not in ("up", "down"):
                raise ValueError(f"verdict must be 'up' or 'down', not {verdict!r}")
            item = _draft(question, record) if verdict == "up" else None
            if item is None:
                item = _review(question, record, NO_EVIDENCE if verdict == "up" else "")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise FeedbackError(f"{path}:{number}: {exc.__class__.__name__}: {exc}") from None
        rating = record.get("id") or number
        ratings.pop(rating, None)  # a re-rating supersedes the earlier line and moves to the end
        ratings[rating] = item
    items = {item["id"]: item for item in ratings.values()}  # the last rating of a question wins
    drafts = [item for item in items.values() if not item.get("needs_review")]
    reviews = [item for item in items.values() if item.get("needs_review")]
    return drafts, reviews


def review_path(out_dataset: Path) -> Path:
    """Where the items to review go next to ``NEW.jsonl``: ``NEW.review.jsonl``."""
    return out_dataset.with_suffix(".review.jsonl")


def write_items(out_dataset: Path | str, drafts: list[dict], reviews: list[dict]) -> list[Path]:
    """Write drafts to ``out_dataset`` and items to review next to it; returns the files written."""
    out_dataset = Path(out_dataset)
    out_dataset.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for target, rows in ((out_dataset, drafts), (review_path(out_dataset), reviews)):
        if rows:
            target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
            written.append(target)
    return written
