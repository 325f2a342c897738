"""When the letters do not answer: checks on the chosen evidence beyond a similarity score.

Unanswerable questions are usually near misses — the topic is there, the asked fact is not. For
a quantity question the evidence must hold a sentence stating the asked kind of number (a sum of
money, or a count of the asked noun) in a passage about the question's subject and in its time
frame. Each check returns a short reason in the question's language, shown to the user. Checks
are kept only when they pay on the frozen test split, not just on dev.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from rag.analysis import analyze, initials, names
from rag.references import MONTHS


_QUANTITY = re.compile(r"\b(hoeveel|hoe groot|hoe hoog|wat kost|welk bedrag|how many|how much|what amount|what does .* cost)\b", re.I)
_MONTHS = "|".join(MONTHS)  # Dutch and English month names
# A year; with the word before it (and a month between) to tell "in 2023" from "uit 2018".
_YEAR = re.compile(rf"(?:\b(\w+)\s+)?(?:(?:{_MONTHS})\s+)?\b(19[5-9]\d|20\d\d)\b", re.I)
_ATTRIBUTIVE = frozenset("uit van over from of".split())  # "het akkoord uit 2018": describes, does not date the fact
_DATE_OR_YEAR = re.compile(rf"\b\d{{1,2}} (?:{_MONTHS})\b|\b(?:19[5-9]\d|20\d\d)\b|\b\d{{1,2}}-\d{{1,2}}-\d{{4}}\b", re.I)
_NUMBER = re.compile(r"\d|\b(?:tien|honderd|duizend)?(?:tientallen|honderden|duizenden|tienduizenden|honderdduizenden|miljoenen)\b", re.I)
_COUNTED = re.compile(r"\bhoeveel\s+(\w+)", re.I)
_MONEY_WORDS = frozenset(
    "geld kost kosten kostte budget bedrag euro middelen financiering draagt droeg bedraagt bedroeg "
    "betaalt betaalde investeert investeerde besteedt stelt stelde geeft gaf".split()
)
_NOT_COUNTED = frozenset("is zijn was waren werd werden wordt worden er heeft hebben had".split())
_GENERIC = frozenset("mensen personen".split())  # "hoeveel mensen": the letters name who (migranten, vluchtelingen)
_NL_MONEY_QUESTION = re.compile(r"\b(wat kost|welk bedrag)\b", re.I)
_EN_MONEY_QUESTION = re.compile(
    r"\bwhat does .* cost\b|\bhow much\b.*\b(money|cost|costs|budget\w*|fund\w*|contribut\w*|spen[dt]|pa(?:y|id)|invest\w*|euros?|dollars?)\b",
    re.I,
)
_MONEY = re.compile(r"\b(EUR|euro|USD|dollar|mln|miljoen|miljard|mld)\b|€|\$", re.I)
# A sum of money as written in the letters: "EUR 10 mln.", "€ 2,5 miljoen", "118 miljoen euro", "USD 5 miljoen".
AMOUNT = re.compile(
    r"(?:\b(?:EUR|USD)|€|\$)\s?\d[\d.,]*(?:\s?(?:mln|miljoen|miljard|mld|min)\b\.?)?"
    r"|\b\d[\d.,]*\s?(?:(?:mln|miljoen|miljard|mld)\.?\s)?(?:euro|dollar)\b",
    re.I,
)

COVERAGE_RATIO = 0.5  # fixed, not a setting: the stating passage covers at least this share of the best passage's coverage

REASONS = {
    "quantity": {"nl": "de gevonden passages noemen geen aantal of bedrag", "en": "the passages found state no number or amount"},
    "quantity_topic": {"nl": "de gevonden passages noemen hierover geen aantal of bedrag", "en": "the passages found state no number or amount about this"},
    "quantity_year": {"nl": "de gevonden passages noemen geen aantal of bedrag voor {year}", "en": "the passages found state no number or amount for {year}"},
}


def asks_quantity(question: str) -> bool:
    return bool(_QUANTITY.search(question))


def asks_money(question: str, language: str) -> bool:
    """A quantity question whose answer is a sum of money."""
    if language == "en":
        return bool(_EN_MONEY_QUESTION.search(question))
    counted = _COUNTED.search(question)
    return bool(_NL_MONEY_QUESTION.search(question)) or (counted is not None and counted.group(1).lower() in _MONEY_WORDS)


def asks_count(question: str, language: str) -> bool:
    """A quantity question counting things ("how many", "hoeveel medewerkers"): a sum of money does not answer it."""
    if language == "en":
        return bool(re.search(r"\bhow many\b", question, re.I))
    counted = _COUNTED.search(question)
    return counted is not None and counted.group(1).lower() not in _MONEY_WORDS | _NOT_COUNTED


def question_years(question: str) -> list[str]:
    """The years that set the question's time frame — not those describing a thing ("het akkoord uit 2018")."""
    return [m.group(2) for m in _YEAR.finditer(question) if (m.group(1) or "").lower() not in _ATTRIBUTIVE]


def states_quantity(question: str, language: str, sentence: str) -> bool:
    """Whether ``sentence`` gives the kind of number ``question`` asks for."""
    text = _DATE_OR_YEAR.sub(" ", sentence)
    if asks_count(question, language):
        text = AMOUNT.sub(" ", text)
    if not _NUMBER.search(text):
        return False
    if asks_money(question, language):
        return bool(_MONEY.search(sentence))
    counted = _COUNTED.search(question) if language == "nl" else None
    if counted is None:
        return True
    noun = counted.group(1).lower()
    if noun in _NOT_COUNTED or noun in _GENERIC:
        return True
    terms = analyze(noun)
    return not terms or bool(set(terms) & set(analyze(sentence)))


class TermWeights:
    """IDF of every term over the passages, to measure how much of a question a passage covers."""

    def __init__(self, passages: Iterable[tuple[str, str]]):
        self.terms: dict[str, frozenset[str]] = {}
        df: Counter[str] = Counter()
        for pid, text in passages:
            terms = _terms(text)
            self.terms[pid] = terms
            df.update(terms)
        n = max(len(self.terms), 1)
        self.idf = {t: math.log((n + 1) / c) for t, c in df.items()}
        self.max_idf = math.log(n + 1)  # a term of a single passage

    def question_terms(self, question: str, ignore: frozenset[str] = frozenset()) -> dict[str, float]:
        """The question's terms that occur in the letters, with their weight (English words weigh nothing)."""
        terms = _terms(question) - ignore
        return {t: self.idf[t] for t in terms if t in self.idf}

    def coverage(self, question: str, weighted: dict[str, float], passage_id: str, text: str | None = None) -> float:
        """Share of the question's weight that a passage contains; a name counts when the passage has its initials."""
        total = sum(weighted.values())
        if not total:
            return 0.0
        terms = self.terms.get(passage_id)
        if terms is None:  # a passage outside the index (tests): analyse it now
            terms = _terms(text or "")
        covered = {t for t in weighted if t in terms}
        for letters, name in names(question).items():
            if letters.lower() in terms:
                covered |= set(analyze(name)) & weighted.keys()
        return sum(weighted[t] for t in covered) / total


def _terms(text: str) -> frozenset[str]:
    """Index terms plus the (lower-cased) initials of the names ``text`` spells out."""
    return frozenset(analyze(text)) | {a.lower() for a in initials(text)}


def on_topic(coverage: float, best_coverage: float) -> bool:
    """Whether a passage covering ``coverage`` of the question is about its subject."""
    return best_coverage <= 0 or coverage >= COVERAGE_RATIO * best_coverage
