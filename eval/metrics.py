"""Evaluation metrics: pure functions over evidence spans, ranked passages and answers.

Relevance
    A passage is relevant to an item when it belongs to an evidence letter (its own id or one of
    its ``aliases``, the ids of duplicate extractions merged into it at index time) and contains
    an evidence span (:func:`span_in_passage`, accents ignored). Requiring the letter keeps short
    spans from matching by chance elsewhere. Because chunk boundaries can cut a long span, a
    passage also counts when it holds most of the span, lies inside it, or holds its longest
    sentence.

Retrieval (answerable items)
    hit@k, MRR@10 and nDCG@10 with binary gains; the ideal ranking puts all relevant passages of
    the whole index first (at most 10). Multi-letter coverage: for items whose evidence comes from
    two or more letters (aliases merged), whether every one of them has a passage in the top 10.

Answers
    - key-fact accuracy: all key facts occur in the answer (:func:`eval.matching.contains`:
      normalized, case-folded; numbers are compared as written, so "2.134" ≠ "2134").
      Key-fact recall gives the share found.
    - direct line (answerable items whose answer opens with a bold direct answer): whether that
      span holds a key fact or lies within one, the way key facts are matched.
    - citation precision (answerable items with citations): share of citations whose passage is
      relevant. A citation of the right fact in a passage that is not the designated evidence
      counts as imprecise.
    - groundedness (answers that did not abstain): share of answer sentences (split by
      :func:`rag.support.split_sentences`, ``[n]`` markers removed) that
      :func:`rag.support.is_supported` finds supported by the text of the passages they cite
      (a sentence citing ``[1, 2]`` is checked against both together). A sentence without a
      marker is unsupported. Lead-ins without content are excluded: an unmarked stretch that
      ends in ":" at the start of a sentence, has no number and at most
      :data:`LEAD_IN_MAX_WORDS` words ("The letters say (quoted in Dutch):").
    - abstention (positive class = abstained): precision = share of abstentions that were on
      unanswerable items, recall = share of unanswerable items abstained on; plus the share of
      answerable items declined.

Every aggregate is a mean over the items where the metric is defined (``None`` = undefined).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from statistics import mean

import numpy as np

from eval.dataset import Evidence
from eval.matching import contains, normalize
from rag.analysis import fold, numbers
from rag.citations import cited_numbers, strip_markers
from rag.support import is_supported, split_sentences

K = 10  # depth of every ranked metric
HIT_DEPTHS = (1, 3, 5, 10)

#: Spans shorter than this (in words) must occur whole; longer ones may be cut by a chunk boundary.
PARTIAL_MIN_WORDS = 12
#: A passage sharing an unbroken run of this share of a long span's words (or of its own) contains it.
PARTIAL_SHARE = 0.6
#: ... or holding the span's longest sentence whole, if that sentence has at least this many words.
SENTENCE_MIN_WORDS = 8
LEAD_IN_MAX_WORDS = 12

_WORD = re.compile(r"\w+")
_LEAD_IN = re.compile(r"^([^:\[\]]*):\s*")


# ------------------------------------------------------------------------------- relevance
def _words(text: str) -> list[str]:
    return _WORD.findall(normalize(text).casefold())


def longest_common_run(a: list[str], b: list[str]) -> int:
    """Length of the longest run of consecutive words shared by ``a`` and ``b``."""
    if not a or not b:
        return 0
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


def span_in_passage(span: str, passage_text: str) -> bool:
    """Whether the passage contains the evidence span, or enough of it where a chunk boundary
    may have cut it. A span of :data:`PARTIAL_MIN_WORDS` words or more also counts when the
    passage shares with it an unbroken run of words covering :data:`PARTIAL_SHARE` of the span
    (most of the span is here) or of the passage (the passage lies inside a span longer than a
    chunk), or holds the span's longest sentence whole (if it has :data:`SENTENCE_MIN_WORDS` words).

    Accents are ignored: the cleaner repairs OCR slips ("Syrié" → "Syrië") that spans copied
    from the letter files still carry."""
    span, passage_text = fold(span), fold(passage_text)
    if contains(passage_text, span):
        return True
    words, passage_words = _words(span), _words(passage_text)
    if len(words) < PARTIAL_MIN_WORDS:
        return False
    run = longest_common_run(words, passage_words)
    if run >= PARTIAL_MIN_WORDS and run >= PARTIAL_SHARE * min(len(words), len(passage_words)):
        return True
    longest = max(split_sentences(span), key=lambda s: len(_words(s)))
    return len(_words(longest)) >= SENTENCE_MIN_WORDS and contains(passage_text, longest)


def is_relevant(passage_text: str, letter_ids: set[str], evidence: list[Evidence]) -> bool:
    """Whether a passage of the letter known by ``letter_ids`` (its id and aliases) holds evidence."""
    return any(e.letter in letter_ids and span_in_passage(e.text, passage_text) for e in evidence)


def needed_letters(evidence: list[Evidence], letter_ids: dict[str, set[str]]) -> set[str]:
    """The indexed letters (canonical ids) the evidence comes from; ``letter_ids`` maps each
    indexed letter id to its id and aliases. Evidence of an unindexed letter keeps its own id."""
    canonical = {alias: letter for letter, ids in letter_ids.items() for alias in ids}
    return {canonical.get(e.letter, e.letter) for e in evidence}


# ------------------------------------------------------------------------------- retrieval
def first_relevant_rank(relevance: list[bool], k: int = K) -> int | None:
    """1-based rank of the first relevant passage within the top ``k``, or ``None``."""
    return next((rank for rank, hit in enumerate(relevance[:k], start=1) if hit), None)


def hit_at(relevance: list[bool], k: int) -> float:
    return float(any(relevance[:k]))


def mrr_at(relevance: list[bool], k: int = K) -> float:
    rank = first_relevant_rank(relevance, k)
    return 1.0 / rank if rank else 0.0


def ndcg_at(relevance: list[bool], n_relevant: int, k: int = K) -> float:
    """nDCG@k with binary gains; ``n_relevant`` is the number of relevant passages in the index."""
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(n_relevant, k)))
    if ideal == 0:
        return 0.0
    return sum(1.0 / math.log2(i + 2) for i, hit in enumerate(relevance[:k]) if hit) / ideal


def retrieval_scores(relevance: list[bool], n_relevant: int) -> dict[str, float]:
    scores = {f"hit@{d}": hit_at(relevance, d) for d in HIT_DEPTHS}
    scores[f"mrr@{K}"] = mrr_at(relevance)
    scores[f"ndcg@{K}"] = ndcg_at(relevance, n_relevant)
    return scores


# --------------------------------------------------------------------------------- answers
def key_facts_found(answer_text: str, key_facts: list[str]) -> list[bool]:
    return [contains(answer_text, fact) for fact in key_facts]


def direct_answer_right(spans: list[str], key_facts: list[str]) -> float | None:
    """1.0 when a direct-answer span holds a key fact or lies within one; None without a span or key facts."""
    if not spans or not key_facts:
        return None
    return float(any(contains(span, fact) or contains(fact, span) for span in spans for fact in key_facts))


def citation_precision(citation_relevance: list[bool]) -> float | None:
    return sum(citation_relevance) / len(citation_relevance) if citation_relevance else None


@dataclass
class Claim:
    """One answer sentence, its markers removed, with the citation numbers it carries."""

    text: str
    cites: list[int]
    supported: bool = False


def _strip_lead_in(sentence: str) -> str:
    match = _LEAD_IN.match(sentence)
    if match and not numbers(match.group(1)) and len(match.group(1).split()) <= LEAD_IN_MAX_WORDS:
        return sentence[match.end() :]
    return sentence


def answer_claims(answer_text: str) -> list[Claim]:
    """The answer's sentences that make a claim (lead-ins dropped), with their citation numbers."""
    claims = []
    for sentence in split_sentences(answer_text):
        text = " ".join(strip_markers(_strip_lead_in(sentence)).split())
        if _WORD.search(text):
            claims.append(Claim(text, cited_numbers(sentence)))
    return claims


def check_claims(claims: list[Claim], cited_texts: dict[int, str]) -> list[Claim]:
    """Mark each claim supported when the passages it cites support it (see module docstring)."""
    for claim in claims:
        texts = [cited_texts[n] for n in claim.cites if n in cited_texts]
        claim.supported = bool(texts) and is_supported(claim.text, "\n".join(texts))
    return claims


def groundedness(claims: list[Claim]) -> float | None:
    return sum(c.supported for c in claims) / len(claims) if claims else None


# ------------------------------------------------------------------------------ aggregates
def abstention_scores(rows: list[tuple[bool, bool]]) -> dict[str, float | None]:
    """From (answerable, abstained) pairs: abstention precision (only where both answerable and
    unanswerable items are present) and recall, and the share of answerable items declined."""
    abstained = [answerable for answerable, did in rows if did]
    unanswerable = [did for answerable, did in rows if not answerable]
    declined = [did for answerable, did in rows if answerable]
    both = bool(unanswerable and declined)  # within one class, precision says nothing
    return {
        "abstention_precision": abstained.count(False) / len(abstained) if abstained and both else None,
        "abstention_recall": sum(unanswerable) / len(unanswerable) if unanswerable else None,
        "answerable_declined": sum(declined) / len(declined) if declined else None,
    }


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    p50, p95 = np.percentile(values, [50, 95])
    return {"p50": float(p50), "p95": float(p95)}


#: Per-item metric fields averaged in :func:`summarize`, in report order.
ITEM_METRICS = (
    *(f"hit@{d}" for d in HIT_DEPTHS),
    f"mrr@{K}",
    f"ndcg@{K}",
    "letter_coverage",
    "key_fact_accuracy",
    "key_fact_recall",
    "citation_precision",
    "direct_answer",
    "groundedness",
)
ABSTENTION_METRICS = ("abstention_precision", "abstention_recall", "answerable_declined")


def summarize(rows: list[dict]) -> dict:
    """Aggregate per-item rows (each with ``metrics``, ``answerable``, ``abstained``, ``timings``)."""
    summary: dict = {"n": len(rows)}
    for name in ITEM_METRICS + tuple(sorted({m for r in rows for m in r["metrics"]} - set(ITEM_METRICS))):
        values = [r["metrics"][name] for r in rows if r["metrics"].get(name) is not None]
        summary[name] = mean(values) if values else None
    summary.update(abstention_scores([(r["answerable"], r["abstained"]) for r in rows]))
    stages = list(dict.fromkeys(stage for r in rows for stage in r["timings"]))  # as the assistant reports them
    summary["latency_ms"] = {stage: percentiles([r["timings"][stage] for r in rows if stage in r["timings"]]) for stage in stages}
    return summary


def breakdown(rows: list[dict], field: str, order: tuple[str, ...]) -> dict[str, dict]:
    """:func:`summarize` per value of ``field`` (e.g. "type", "language"), in ``order``."""
    return {value: summarize([r for r in rows if r[field] == value]) for value in order if any(r[field] == value for r in rows)}
