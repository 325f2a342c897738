"""Tell Dutch from English questions, so answers and notices speak the user's language."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zà-ÿ']+")
#: English function words (also left untranslated by rag/translation.py).
ENGLISH_WORDS = frozenset(
    "the what which who whom why how when where does did do is are was were has have had of in on for to "
    "and or with about many much there their this that these those be been will would could should can "
    "from by at an a it its than what's".split()
)
_NL = frozenset(
    "de het een wat welke wie waarom hoe wanneer waar is zijn was waren heeft hebben had van in op voor "
    "naar en of met over hoeveel veel er hun dit dat deze die wordt worden werd werden door bij uit als "
    "dan ook niet nog om te aan zich kabinet".split()
)


def detect_language(text: str) -> str:
    """``"en"`` when English function words dominate, otherwise ``"nl"`` (the letters' language)."""
    words = _WORD.findall(text.lower())
    en = sum(w in ENGLISH_WORDS for w in words)
    nl = sum(w in _NL for w in words)
    return "en" if en > nl else "nl"
