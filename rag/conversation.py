"""Resolve follow-up questions (``En in 2023?``, ``Welke landen precies?``) against earlier turns.

Without an LLM there is no rewriting; instead a question that cannot stand on its own — it opens
with a connective, leans on a pronoun, or has almost no content words — is searched together
with the previous question, which carries the topic. Pronouns only count in short questions.
"""

from __future__ import annotations

import re

from rag.analysis import analyze

_CONNECTIVE = re.compile(r"^\s*(en|maar|ook|of|dus|and|but|also|or|so|what about|hoe zit het)\b", re.I)
_ANAPHORA = re.compile(
    r"\b(daar|daarvan|daarbij|hiervan|hierover|die|deze|dat|dit|hun|hen|ze|zij|precies|"
    r"it|its|they|them|their|those|these|that|there|exactly)\b",
    re.I,
)
MIN_CONTENT_TERMS = 2
SHORT = 6  # words; pronouns in longer questions usually refer inside the question itself


def previous_questions(history) -> list[str]:
    """User questions from a history given as strings, (question, answer) pairs or chat messages."""
    questions = []
    for turn in history or []:
        if isinstance(turn, str):
            questions.append(turn)
        elif isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                questions.append(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            questions.append(turn[0])
    return questions


def is_follow_up(question: str) -> bool:
    if _CONNECTIVE.search(question):
        return True
    short = len(question.split()) <= SHORT
    return short and bool(_ANAPHORA.search(question) or len(set(analyze(question))) < MIN_CONTENT_TERMS)


def resolve(question: str, history) -> str:
    """The question to search with: itself, or joined to the previous question if it is a follow-up."""
    earlier = previous_questions(history)
    if not earlier or not is_follow_up(question):
        return question
    return f"{earlier[-1]} {question}"
