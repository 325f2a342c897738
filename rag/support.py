"""Is an answer sentence supported by a passage? Shared by the composers and the evaluation.

Support is lexical and strict about numbers: a sentence is supported when most of its content
terms (Dutch analyzer: stopwords dropped, words stemmed, numbers and acronyms whole) occur in
the passage, and it contains no number the passage lacks — a changed amount is the error that
matters most in answers about policy figures, and term overlap alone would not notice it.

Being lexical, it cannot tell a different claim assembled from the passage's own words, and it
undervalues translations: an English answer shares few terms with a Dutch letter beyond numbers
and names, so English sentences mostly score below the threshold.

Answer text carries citation markers (``[1]``, ``[1, 2]``; :mod:`rag.citations`); they are kept
with their sentence when splitting and ignored when scoring.
"""

from __future__ import annotations

import re

from index.sentences import sentence_spans
from rag.analysis import analyze, numbers
from rag.citations import MARKER, strip_markers

#: Default share of a sentence's content terms that must occur in the passage. A copied sentence
#: scores 1.0 and paraphrases of the letters' sentences keep most terms (0.75–1.0 on the fragments
#: in tests/test_support.py); a sentence on another topic that reuses a few of the passage's words
#: stays at or below 0.5. 0.6 lies between the two groups, a little closer to the other topics
#: because an LLM's paraphrases vary more than the calibration set. Fixed by that calibration, not
#: a setting: the composers and the evaluation's claim check must judge support alike.
SUPPORT_THRESHOLD = 0.6

# Markers right after sentence-final punctuation ("... gastgemeenschappen. [1] Volgens ...") end
# that sentence; the general splitter would not split there because "[" is no capital.
_MARKERS_AFTER_END = re.compile(rf"[.!?][\"'”’»)]*(?:[ \t]*{MARKER.pattern})+")


def _one_separator(number: str) -> str:
    # "23,000" in an English answer is the letter's "23.000", "3.5" its "3,5"; a changed digit
    # still differs.
    return number.replace(",", ".")


def content_terms(text: str) -> set[str]:
    """The analyzed terms of ``text``, citation markers left out, numbers with one separator."""
    return {_one_separator(t) if t[0].isdigit() else t for t in analyze(strip_markers(text))}


def _numbers(text: str) -> set[str]:
    return {_one_separator(n) for n in numbers(strip_markers(text))}


def support_score(sentence: str, passage_text: str) -> float:
    """Share of the sentence's content terms found in the passage, in [0, 1]; 0 if the sentence
    has a number the passage does not contain, or no content terms at all."""
    if _numbers(sentence) - _numbers(passage_text):
        return 0.0
    terms = content_terms(sentence)
    if not terms:
        return 0.0
    return len(terms & content_terms(passage_text)) / len(terms)


def is_supported(sentence: str, passage_text: str, threshold: float = SUPPORT_THRESHOLD) -> bool:
    """Whether ``passage_text`` supports ``sentence`` (see :data:`SUPPORT_THRESHOLD`)."""
    return support_score(sentence, passage_text) >= threshold


def split_sentences(text: str) -> list[str]:
    """The sentences of an answer, each with the ``[n]`` markers that follow it.

    Uses the letters' sentence splitter (Dutch abbreviations such as "c.q.", "o.a.", "mln.",
    "nr." do not end a sentence); markers placed after the full stop close their sentence.
    """
    pieces, start = [], 0
    for match in _MARKERS_AFTER_END.finditer(text):
        pieces.append((start, match.end()))
        start = match.end()
    pieces.append((start, len(text)))
    return [text[s:e] for lo, hi in pieces if text[lo:hi].strip() for s, e in sentence_spans(text, lo, hi)]
