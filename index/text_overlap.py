"""How much two sets of text features overlap: the one measure for near-duplicates.

Used on analyzed terms (near-duplicate passages in retrieval, near-identical sentences in the
extractive answer) and on word shingles (two extractions of one letter). It is containment, not
Jaccard: a passage, sentence or extraction that is a part of the other still counts as the same.
It lives in ``index/`` so that index code can use it too (imports flow index -> rag -> eval/ui).
"""

from __future__ import annotations

from collections.abc import Set


def containment(a: Set, b: Set) -> float:
    """Share of the smaller set that lies in the other one, in [0, 1]; 0 when either is empty."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
