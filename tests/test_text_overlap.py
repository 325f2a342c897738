"""The one overlap measure (index.text_overlap) shared by retrieval, the extractive composer and
letter de-duplication."""

from __future__ import annotations

from index.text_overlap import containment


def test_containment_is_the_share_of_the_smaller_set_in_the_other():
    assert containment({"a", "b"}, {"a", "b", "c", "d"}) == 1.0  # a part of the other counts as the same
    assert containment({"a", "b", "c", "d"}, {"a", "x"}) == 0.5
    assert containment({"a"}, {"b"}) == 0.0
    assert containment(set(), {"a"}) == 0.0 and containment(set(), set()) == 0.0
    assert containment(frozenset({("a", "b")}), {("a", "b")}) == 1.0  # shingles are tuples
