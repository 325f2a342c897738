"""The default composer: extractive, offline, no LLM.

It quotes the sentence of the top passages that best answers the question, first, and at most a
few supporting sentences after it. A sentence's score is a weighted sum of general signals
(:data:`FEATURES`: similarity to the question, coverage of its specific terms, the passage's
rank, whether it holds what the question type asks for); the weights live in
:class:`~index.config.AnswerConfig` and were fitted on the dev split. A question asking for a
number, amount, date or list gets a one-line direct answer first: that span of the answering
sentence in bold, also marked in the sources panel. Only the passages quoted are cited. When the
evidence lacks the quantity a question asks for (:mod:`rag.abstain`), it says the letters do
not answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from index.config import AnswerConfig
from index.store import IndexStore
from index.text_overlap import containment
from rag import abstain, references
from rag.analysis import analyze
from rag.citations import CitationBuilder, format_marker
from rag.prompts import NO_ANSWER
from rag.types import Composition, OnText, Source

#: The signals a sentence is scored on (AnswerConfig.sentence_weights holds their weights).
FEATURES = (
    "cosine",  # embedding cosine of sentence and question (sentence vectors are computed at index time)
    "coverage",  # IDF-weighted share of the question's specific terms the sentence contains
    "rank",  # log of its passage's retrieval rank (0 for the first)
    "type_match",  # it holds what the question asks for: a quantity, a date, a reason, a list, a letterhead field
)
TOP_SOURCES = 5  # sentences are drawn from this many of the ranked passages
MIN_WORDS = 4  # shorter fragments (headings, list stubs) are not answers on their own
_URL = re.compile(r"https?://|www\.")
# A sentence opening with one of these leans on the one before it: quoted, it brings that one
# along ("Zo is de htl geopend in Hoogeveen. Hier kan het COA ..."). Pronominal adverbs
# ("daarbij" = "bij dat") point at what was just said.
_POINTERS = "hier|hierin|hiermee|hierbij|hierdoor|hiervoor|hiertoe|daarin|daarbij|daardoor|daarom|daarmee|daarvoor|daartoe"
_LEANS_BACK = re.compile(
    rf"^(dat|dit|deze|{_POINTERS}|zo|als|bovendien|daarnaast|tegelijkertijd|immers|want|aldus|dergelijke)\b", re.I
)
# A pronominal adverb right after the subject and verb also points back: "Nederland is daarbij
# voorzitter van de werkgroep ..." continues the sentence before it.
_POINTS_BACK = re.compile(rf"^\S+(?:\s+\S+)?\s+(?:is|zijn|wordt|worden|heeft|hebben|kan|zal|werd|was)\s+(?:{_POINTERS})\b", re.I)

_QUESTION_WORDS = frozenset(
    analyze("hoeveel welke welk wat wie waarom hoe wanneer waar noemt beschrijft geeft brief brieven kabinet "
            "how many much which what who why when where does letter letters cabinet government describe")
)
_WHY_QUESTION = re.compile(r"\b(waarom|om welke reden|why|for what reason)\b", re.I)
_REASON = re.compile(
    r"\b(omdat|doordat|daardoor|daarom|zodat|want|vanwege|in verband met|gezien|immers|teneinde|"
    r"dient ertoe|bedoeld om|reden|gedachte|bijdragen aan|draagt bij)\b",
    re.I,
)
_DATE_QUESTION = re.compile(
    r"\b((sinds|vanaf|per|tot) wanneer|wanneer|in welk jaar|welke datum|op welke datum|"
    r"(since|from|until|by) when|when|(in )?what year|which year|what date)\b",
    re.I,
)
_COUNT_WORDS = "twee|drie|vier|vijf|zes|zeven|acht|negen|tien|two|three|four|five|six|seven|eight|nine|ten"
_LIST_QUESTION = re.compile(rf"\b(welke|wat zijn de|which|what are the)\b(?:\s+\w+)?\s+({_COUNT_WORDS})\b|\bwelke\b.*\bnoemt\b", re.I)
_MONTH = "|".join(references.MONTHS)
_DATE = re.compile(rf"\b(?:\d{{1,2}}\s+)?(?:{_MONTH})\s+(?:19|20)\d\d\b|\b(?:\d{{1,2}}\s+)(?:{_MONTH})\b|\b(?:19|20)\d\d\b", re.I)
_ENUMERATION = re.compile(r":\s+\S|\b1\)|(?:,[^,]+){2,}\s(?:en|and)\s")
# A count as written: "1.859", "23.000 en 58.000", "tienduizenden", with its magnitude.
_COUNT = re.compile(
    r"\b\d[\d.,]*(?:\s?(?:mln|miljoen|miljard|mld)\b\.?)?(?:\s(?:en|tot|à|a)\s\d[\d.,]*(?:\s?(?:mln|miljoen|miljard|mld)\b\.?)?)?"
    r"|\b(?:tien|honderd|duizend)?(?:tientallen|honderden|duizenden|tienduizenden|honderdduizenden|miljoenen)\b",
    re.I,
)
# A compound question joins its clauses with ", en" / ", and": "Welke visumregel …, en sinds wanneer geldt die?"
_CLAUSE_BREAK = re.compile(r",\s+(?:en|and)\s+", re.I)

LEAD_IN = {
    "nl": "",
    "en": "The letters say (quoted in Dutch): ",
}
DIRECT_LEAD_IN = {"nl": "", "en": "In short: "}
CLOSEST = {
    "nl": "Dit zijn de passages die er het dichtst bij komen.",
    "en": "These are the closest passages.",
}


@dataclass
class ScoredSentence:
    source: Source
    start: int  # offsets within the passage text
    end: int
    score: float
    evidence: float  # score without the rank prior: how well the sentence itself matches
    features: dict[str, float] | None = None

    @property
    def text(self) -> str:
        return self.source.passage.text[self.start : self.end]


def answer_type(question: str) -> str | None:
    """What kind of answer the question asks for: quantity, date, reason, list, or None."""
    if abstain.asks_quantity(question):
        return "quantity"
    if _DATE_QUESTION.search(question):
        return "date"
    if _WHY_QUESTION.search(question):
        return "reason"
    if _LIST_QUESTION.search(question):
        return "list"
    return None


class ExtractiveComposer:
    """Answers with quoted sentences of the retrieved passages."""

    name = "extractive"

    def __init__(self, store: IndexStore, embedder, cfg: AnswerConfig, profiles: list[references.LetterProfile]):
        """``profiles``: what each letter says about itself (:func:`rag.references.profile`), shared with the retriever."""
        self.store = store
        self.embedder = embedder
        self.cfg = cfg
        self._rows = {p.id: i for i, p in enumerate(store.passages)}
        # Question terms count by how specific they are: "Malta" or "werkgroep" says more about
        # which sentence answers than "migratie", which half the passages contain. A term the
        # letters never use weighs as much as the rarest one: no sentence can cover it.
        self._term_weights = abstain.TermWeights((p.id, p.text) for p in store.passages)
        self._profiles = profiles

    # ------------------------------------------------------------------ scoring
    def _question_weights(self, text: str) -> dict[str, float]:
        terms = set(analyze(text)) - _QUESTION_WORDS
        return {t: self._term_weights.idf.get(t, self._term_weights.max_idf) for t in terms}

    def score_sentences(self, question: str, sources: list[Source], language: str = "nl") -> list[ScoredSentence]:
        """Every sentence of the top passages, best first."""
        query = self.embedder.encode_query(question)
        # "volgens de rapportage van Buitenlandse Zaken" says where to look, not what to quote.
        _, searched = references.search_text(question, self._profiles)
        weights = self._question_weights(searched)
        total = sum(weights.values())
        kind = answer_type(question)
        fields = references.letterhead_fields(question)
        w = self.cfg.sentence_weights
        scored: list[ScoredSentence] = []
        seen: set[tuple[str, int, int]] = set()
        for source in sources[:TOP_SOURCES]:
            row = self._rows[source.passage.id]
            spans = self.store.sentences[row]
            if not spans:
                continue
            cosines = self.store.sentence_vectors[row] @ query
            for (start, end), cosine in zip(spans, cosines):
                text = source.passage.text[start:end]
                key = (source.letter.id, source.passage.start + start, source.passage.start + end)
                short = len(text.split()) < MIN_WORDS and source.passage.kind != "letterhead"  # "Ons kenmerk 3001668"
                if key in seen or short or _URL.search(text):
                    continue  # overlapping chunks repeat sentences; quote each once; URLs answer nothing
                seen.add(key)
                terms = set(analyze(text))
                f = {
                    "cosine": float(cosine),
                    "coverage": sum(weights[t] for t in weights.keys() & terms) / total if total else 0.0,
                    "rank": math.log(source.rank),
                    "type_match": float(
                        _type_match(kind, question, language, text)
                        or (bool(fields) and source.passage.kind == "letterhead" and text.startswith(fields))
                    ),
                }
                score = sum(w.get(name, 0.0) * value for name, value in f.items())
                scored.append(ScoredSentence(source, start, end, score, score - w.get("rank", 0.0) * f["rank"], f))
        return sorted(scored, key=lambda s: -s.score)

    # ------------------------------------------------------------------ answering
    def compose(self, question: str, sources: list[Source], language: str, on_text: OnText | None = None) -> Composition:
        scored = self.score_sentences(question, sources, language)
        if not scored or scored[0].score < self.cfg.abstain_threshold:
            return self._decline(language, None, on_text)
        picked = self._pick(question, sources, scored)
        reason = self._unanswered(question, language, scored, picked)
        if reason:
            return self._decline(language, reason, on_text)
        return self._render(question, picked, language, on_text)

    def _unanswered(self, question: str, language: str, scored: list[ScoredSentence], picked: list[ScoredSentence]) -> str | None:
        """Why the evidence does not answer a quantity question, or None. Its answer becomes the
        sentence stating the quantity, when another one was picked first."""
        if not abstain.asks_quantity(question):
            return None
        sources = list({s.source.passage.id: s.source for s in scored}.values())  # the passages sentences come from
        answers, reason = self._stated_quantities(question, language, scored, picked, sources)
        if not answers:
            return reason
        if not any(s is a for s in picked[:1] for a in answers):
            first = answers[0]
            picked[:] = [first] + [s for s in picked if s is not first][: self.cfg.max_sentences - 1]
        return None

    def _stated_quantities(self, question, language, scored, picked, sources) -> tuple[list[ScoredSentence], str | None]:
        """The picked sentences, then those of the top ten, that state the asked quantity (1) about the question's
        subject — their passage covers at least half as much of the question as the best-covering passage, or the
        sentence is the best match itself — and (2) in its time frame; else why none does."""
        chosen = {id(s) for s in picked}
        window = picked + [s for s in scored[:10] if id(s) not in chosen]
        stating = [s for s in window if abstain.states_quantity(question, language, s.text)]
        if not stating:
            return [], abstain.REASONS["quantity"][language]
        weights = self._term_weights
        q_terms = weights.question_terms(question, _QUESTION_WORDS)
        coverage = {s.passage.id: weights.coverage(question, q_terms, s.passage.id, s.passage.text) for s in sources}
        best = max(coverage.values(), default=0.0)
        on_topic = [s for s in stating if abstain.on_topic(coverage[s.source.passage.id], best)]
        if not on_topic:
            return [], abstain.REASONS["quantity_topic"][language]
        years = abstain.question_years(question)
        if not years:
            return on_topic, None
        dated = lambda s: f"{s.source.passage.text} {s.source.letter.title} {s.source.letter.date}"  # noqa: E731
        in_time = [s for s in on_topic if any(y in dated(s) for y in years)]
        return in_time, None if in_time else abstain.REASONS["quantity_year"][language].format(year=" / ".join(years))

    def _decline(self, language: str, reason: str | None, on_text: OnText | None) -> Composition:
        because = f" ({reason})" if reason else ""
        text = f"{NO_ANSWER[language].rstrip('.')}{because}. {CLOSEST[language]}"
        if on_text:
            on_text(text)
        return Composition(text=text, citations=[], abstained=True)

    def _pick(self, question: str, sources: list[Source], scored: list[ScoredSentence]) -> list[ScoredSentence]:
        """The answering sentence first, then the best fresh one of each further clause of a
        compound question, then supporting sentences within the margin, up to max_sentences."""
        picked = [scored[0]]
        for clause in self._clauses(question)[1:]:
            # Scored against the whole question, the first clause crowds out the second
            # ("…, en sinds wanneer geldt die?"): each clause adds its best sentence not yet chosen.
            fresh = self._best_for_clause(clause, scored, picked)
            if fresh is not None and len(picked) < self.cfg.max_sentences:
                picked.append(fresh)
        for s in scored[1:]:
            if len(picked) >= self.cfg.max_sentences or s.score < scored[0].score - self.cfg.sentence_margin:
                break
            if not any(_same(s, p) or _similar(s.text, p.text) for p in picked):
                picked.append(s)
        for s in self._following(picked[0], scored):
            if not any(_same(s, p) for p in picked):
                picked.append(s)
        return picked

    def _best_for_clause(self, clause: str, scored: list[ScoredSentence], picked: list[ScoredSentence]) -> ScoredSentence | None:
        """The sentence that best covers the clause's own terms (the question's cosine kept), if not yet chosen."""
        weights = self._question_weights(clause)
        total = sum(weights.values())
        if not total:
            return None
        w = self.cfg.sentence_weights.get("coverage", 0.0)

        def clause_score(s: ScoredSentence) -> float:
            coverage = sum(v for t, v in weights.items() if t in set(analyze(s.text))) / total
            return s.score + w * (coverage - s.features["coverage"])

        best = max(scored[:30], key=clause_score)
        if any(_same(best, p) or _similar(best.text, p.text) for p in picked):
            return None
        return best if clause_score(best) >= scored[0].score - self.cfg.sentence_margin else None

    @staticmethod
    def _clauses(question: str) -> list[str]:
        """The clauses of a compound question, or none for a simple one."""
        clauses = [c for c in _CLAUSE_BREAK.split(question) if len(c.split()) >= 2]
        return clauses if len(clauses) > 1 else []

    def _previous(self, s: ScoredSentence) -> tuple[int, int] | None:
        """The span of the sentence before ``s`` in its passage, when ``s`` leans on it."""
        if not (_LEANS_BACK.match(s.text) or _POINTS_BACK.match(s.text)):
            return None
        spans = list(self.store.sentences[self._rows[s.source.passage.id]])
        i = [span[0] for span in spans].index(s.start)
        return tuple(spans[i - 1]) if i > 0 else None

    def _following(self, s: ScoredSentence, scored: list[ScoredSentence]) -> list[ScoredSentence]:
        """The next sentences of ``s``'s passage, up to AnswerConfig.follow, while they lean on it
        ("Daarbij vindt een toets plaats …" completes the rule before it)."""
        by_position = {(x.source.passage.id, x.start): x for x in scored}
        starts = [span[0] for span in self.store.sentences[self._rows[s.source.passage.id]]]
        i = starts.index(s.start)
        out = []
        for start in starts[i + 1 : i + 1 + self.cfg.follow]:
            other = by_position.get((s.source.passage.id, start))
            if other is None or not (_LEANS_BACK.match(other.text) or _POINTS_BACK.match(other.text)):
                break
            out.append(other)
        return out

    def _render(self, question: str, picked: list[ScoredSentence], language: str, on_text: OnText | None) -> Composition:
        """The direct-answer line (when the question type has one), then the quoted sentences, each with its marker."""
        citations = CitationBuilder()
        pieces: list[str] = []
        direct = direct_span(question, language, picked[0].text)
        if direct:
            best = picked[0]
            citation = citations.cite(best.source)
            citations.add_answer_span(citation, best.start + direct[0], best.start + direct[1])
            span = best.text[direct[0] : direct[1]]
            pieces.append(f"{DIRECT_LEAD_IN[language]}**{span}** {format_marker([citation.n])}.\n")
        quoted: set[tuple[str, int]] = set()
        first = True
        for s in picked:
            previous = self._previous(s)
            for start, end in ([previous] if previous else []) + [(s.start, s.end)]:
                if (s.source.passage.id, start) in quoted:
                    continue
                quoted.add((s.source.passage.id, start))
                citation = citations.cite(s.source)
                citations.add_sentence(citation, start, end)
                text = s.source.passage.text[start:end]
                body = f"“{text}”" if language == "en" else text
                pieces.append(("" if first else " ") + (LEAD_IN[language] if first else "") + f"{body} {format_marker([citation.n])}")
                first = False
        if on_text:
            for piece in pieces:
                on_text(piece)
        return Composition(text="".join(pieces), citations=citations.citations, abstained=False)


def _type_match(kind: str | None, question: str, language: str, text: str) -> bool:
    if kind == "quantity":
        return abstain.states_quantity(question, language, text)
    if kind == "date":
        return bool(_DATE.search(text))
    if kind == "reason":
        return bool(_REASON.search(text))
    if kind == "list":
        return bool(_ENUMERATION.search(text))
    return False


def direct_span(question: str, language: str, sentence: str) -> tuple[int, int] | None:
    """Offsets in ``sentence`` of the span that answers a quantity, date or list question, or None."""
    kind = answer_type(question)
    if kind == "quantity":
        pattern = abstain.AMOUNT if abstain.asks_money(question, language) else _COUNT
        for m in pattern.finditer(sentence):
            if not _DATE.fullmatch(m.group(0).strip()):
                return m.start(), m.end()
        return None
    if kind == "date":
        m = _DATE.search(sentence)
        return (m.start(), m.end()) if m else None
    if kind == "list":
        colon = sentence.find(": ")
        if colon >= 0:
            return colon + 2, len(sentence.rstrip(" .;"))
    return None


def _same(a: ScoredSentence, b: ScoredSentence) -> bool:
    return a.source.passage.id == b.source.passage.id and a.start == b.start


def _similar(a: str, b: str) -> bool:
    return containment(set(analyze(a)), set(analyze(b))) > 0.8  # 0 when either has no terms
