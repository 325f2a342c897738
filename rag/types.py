"""Records of the answer side: retrieved sources, citations and the answer itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from index.models import Letter, Passage


@dataclass
class Source:
    """A retrieved passage with its rank, score and the letter it belongs to."""

    rank: int  # 1-based
    score: float  # fused score (higher is better)
    passage: Passage
    letter: Letter
    dense: float | None = None  # cosine with the question, when dense retrieval ran
    lexical: float | None = None  # BM25 score, when lexical retrieval ran

    @property
    def id(self) -> str:
        return self.passage.id

    def to_dict(self) -> dict:
        return {
            "rank": self.rank,
            "id": self.passage.id,
            "letter": self.letter.id,
            "title": self.letter.title,
            "date": self.letter.date,
            "page": self.passage.page,
            "heading": self.passage.heading,
            "score": round(self.score, 6),
            "text": self.passage.text,
        }


@dataclass
class Citation:
    """One numbered source of an answer; ``[n]`` in the answer text refers to it."""

    n: int
    source: Source
    sentences: list[str] = field(default_factory=list)  # the passage sentences that support the answer
    spans: list[tuple[int, int]] = field(default_factory=list)  # their offsets in Letter.text, for highlighting
    # The answering span (the amount, date, list or name the answer's first line gives in bold): its
    # text, and its offsets in Letter.text for body passages (for highlighting).
    answer_spans: list[tuple[int, int]] = field(default_factory=list)
    answer_text: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        p, letter = self.source.passage, self.source.letter
        return {
            "n": self.n,
            "id": p.id,
            "letter": letter.id,
            "title": letter.title,
            "date": letter.date,
            "page": p.page,
            "text": p.text,
            "sentences": self.sentences,
            "spans": [list(s) for s in self.spans],
            "answer_spans": [list(s) for s in self.answer_spans],
            "answer_text": self.answer_text,
        }


@dataclass
class Composition:
    """What a composer returns: the answer text with ``[n]`` markers and its citations."""

    text: str
    citations: list[Citation]
    abstained: bool
    notices: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # answer sentences no cited passage supports


@dataclass
class Answer:
    """The assistant's reply to one question."""

    question: str
    text: str
    citations: list[Citation]
    passages: list[Source]
    abstained: bool
    timings: dict[str, float]  # milliseconds per stage: retrieve, compose, total
    language: str = "nl"
    composer: str = "extractive"
    notices: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    resolved_question: str | None = None  # the question after follow-up resolution

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [s.to_dict() for s in self.passages],
            "timings_ms": {k: round(v, 2) for k, v in self.timings.items()},
            "language": self.language,
            "composer": self.composer,
            "notices": self.notices,
            "unsupported": self.unsupported,
            "resolved_question": self.resolved_question,
        }


#: Receives the answer text as it is produced (streaming).
OnText = Callable[[str], None]


class Composer(Protocol):
    """Turns a question and ranked sources into a cited answer (ragna's ``answer(prompt, sources)``)."""

    name: str

    def compose(self, question: str, sources: list[Source], language: str, on_text: OnText | None = None) -> Composition:
        ...

