"""The default composer: extractive, offline, no LLM.

It picks the sentences of the top passages that answer the question — scored with the embedding
model (sentence vectors are computed at index time, so this costs a dot product) and IDF-weighted
overlap with the question's terms — and joins a few of them, each followed by its ``[n]`` marker:
the best ones within a margin, the best fresh one for each clause of a compound question, and
the neighbours they lean on (the sentence before "Hier kan het COA …", a why-question's reason).
The answering sentence leads: the best one holding what the question asks for (a quantity, a
date, a reason, a list; :mod:`rag.answer_types`). For a quantity, date, list or who-question a
one-line direct answer precedes it, that span in bold, recorded on the citation for the sources
panel to mark. Every word of the answer is a quotation from a letter, so nothing is invented. When
a quantity question's evidence states no such quantity about its subject and time frame (see
:mod:`rag.abstain`), it says the letters do not answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from index.config import AnswerConfig
from index.store import IndexStore
from index.text_overlap import containment
from rag import abstain, references
from rag.analysis import analyze
from rag.answer_types import QUESTION_WORDS, REASON, WHY_QUESTION, answer_type, direct_span, holds_type, in_english
from rag.citations import CitationBuilder, format_marker
from rag.prompts import NO_ANSWER
from rag.sentence_cosines import SentenceCosines
from rag.support import is_supported
from rag.types import Composition, OnText, Source

# The sentence score's tuned weights live in AnswerConfig (lexical_weight, score_weight, clause_score_weight,
# type_weight, window_weight);
# the constants below are fixed: they encode how letters are written, not a trade-off to tune.
FIELD_BONUS = 0.3  # a letterhead field the question asks for ("welk kenmerk …?") is the answer
TOP_SOURCES = 5  # sentences are drawn from this many of the ranked passages
MIN_SENTENCES = 2  # the runner-up sentence joins even outside the margin: it often holds the second half
FOLLOW = 2  # at most this many following sentences join a chosen one
MIN_WORDS = 4  # shorter fragments (headings, list stubs) are not answers on their own
FRAGMENT_PENALTY = 0.05  # a sentence opening in lower case continues a page the extraction lost
_URL = re.compile(r"https?://|www\.")
# A sentence opening with one of these leans on the one before it (the reason, the list, the
# consequence, the place): it travels with a chosen sentence ("... zes pijlers. Hierin worden
# ... 1) ..."), and when it is chosen itself, the sentence it leans on comes along ("Zo is de htl
# geopend in Hoogeveen. Hier kan het COA ...").
# Pronominal adverbs ("daarbij" = "bij dat"): they point at what was just said.
_POINTERS = "hier|hierin|hiermee|hierbij|hierdoor|hiervoor|hiertoe|daarin|daarbij|daardoor|daarom|daarmee|daarvoor|daartoe"
_LEANS_BACK = re.compile(
    rf"^(dat|dit|deze|{_POINTERS}|zo|als|bovendien|daarnaast|tegelijkertijd|immers|want|aldus|dergelijke)\b", re.I
)
# A pronominal adverb right after the subject and verb also points back: "Nederland is daarbij
# voorzitter van de werkgroep ..." continues the sentence before it.
_POINTS_BACK = re.compile(rf"^\S+(?:\s+\S+)?\s+(?:is|zijn|wordt|worden|heeft|hebben|kan|zal|werd|was)\s+(?:{_POINTERS})\b", re.I)
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
    evidence: float  # score without the passage's retrieval prior: how well the sentence itself matches
    gap: float  # how far its passage's fused retrieval score trails the best passage's

    @property
    def text(self) -> str:
        return self.source.passage.text[self.start : self.end]


class ExtractiveComposer:
    """Answers with quoted sentences of the retrieved passages."""

    name = "extractive"

    def __init__(
        self, store: IndexStore, embedder, cfg: AnswerConfig, profiles: list[references.LetterProfile], cosines: SentenceCosines
    ):
        """``profiles``: what each letter says about itself (:func:`rag.references.profile`); ``cosines``:
        how a sentence compares with a question (alone and in context). Both shared with the retriever."""
        self.store = store
        self._cosines = cosines
        self.embedder = embedder
        self.cfg = cfg
        self._rows = {p.id: i for i, p in enumerate(store.passages)}
        # Question terms count by how specific they are: "Malta" or "werkgroep" says more about
        # which sentence answers than "migratie", which half the passages contain. A term the
        # letters never use weighs as much as the rarest one: no sentence can cover it.
        self._term_weights = abstain.TermWeights((p.id, p.text) for p in store.passages)
        self._profiles = profiles

    def score_sentences(self, question: str, sources: list[Source], language: str) -> list[ScoredSentence]:
        """Every sentence of the top passages, best first."""
        query = self.embedder.encode_query(question)
        # "volgens de rapportage van Buitenlandse Zaken" says where to look, not what to quote.
        _, searched = references.search_text(question, self._profiles)
        q_terms = set(analyze(searched)) - QUESTION_WORDS
        kind = answer_type(question)
        fields = references.letterhead_fields(question)
        weights = {t: self._term_weights.idf.get(t, self._term_weights.max_idf) for t in q_terms}
        total = sum(weights.values())
        scored: list[ScoredSentence] = []
        seen: set[tuple[str, int, int]] = set()
        for source in sources[:TOP_SOURCES]:
            row = self._rows[source.passage.id]
            spans = self.store.sentences[row]
            if not spans:
                continue
            gap = sources[0].score - source.score  # the passage's retrieval prior weighs this
            cosines = self._cosines(query, slice(*self.store.sentence_bounds[row : row + 2]))
            if len(spans) > 1 and self.cfg.window_weight:
                cosines = _with_neighbours(cosines, self.store.window_vectors[row] @ query, self.cfg.window_weight)
            for (start, end), cosine in zip(spans, cosines):
                text = source.passage.text[start:end]
                key = (source.letter.id, source.passage.start + start, source.passage.start + end)
                short = len(text.split()) < MIN_WORDS and source.passage.kind != "letterhead"  # "Ons kenmerk 3001668"
                if key in seen or short or _URL.search(text):
                    continue  # overlapping chunks repeat sentences; quote each once; URLs answer nothing
                seen.add(key)
                terms = set(analyze(text))
                coverage = sum(weights[t] for t in q_terms & terms) / total if q_terms else 0.0
                evidence = float(cosine) + self.cfg.lexical_weight * coverage
                if kind and holds_type(kind, question, language, text):
                    evidence += self.cfg.type_weight
                if fields and source.passage.kind == "letterhead" and text.startswith(fields):
                    evidence += FIELD_BONUS
                if text[0].islower():
                    evidence -= FRAGMENT_PENALTY
                scored.append(ScoredSentence(source, start, end, evidence - self.cfg.score_weight * gap, evidence, gap))
        return sorted(scored, key=lambda s: -s.score)

    def compose(self, question: str, sources: list[Source], language: str, on_text: OnText | None = None) -> Composition:
        # The question and each clause are scored against the sentences: embedded in one call,
        # they run side by side on the cores rather than one after another.
        self.embedder.encode_query_batch([question, *self._clauses(question)])
        scored = self.score_sentences(question, sources, language)
        if not scored or scored[0].evidence < self.cfg.abstain_threshold:
            return self._decline(language, None, on_text)
        picked = self._pick(question, sources, scored, language)
        reason = self._unanswered(question, language, scored, picked)
        if reason:
            return self._decline(language, reason, on_text)
        ordered, lead = self._lead_first(question, language, picked)
        return self._render(question, ordered, lead, language, on_text)

    def _lead_first(self, question: str, language: str, picked: list[ScoredSentence]) -> tuple[list[ScoredSentence], ScoredSentence]:
        """The answering sentence first: the best-scoring one that holds what the question asks for
        (a quantity, a date, a reason, a list), else the best-scoring one; the sentence it leans
        on before it. The others keep their reading order."""
        kind = answer_type(question)
        lead = max(picked, key=lambda s: (holds_type(kind, question, language, s.text), s.score))
        first = [lead]
        if _LEANS_BACK.match(lead.text):
            before = [s for s in picked if s.source.passage.id == lead.source.passage.id and s.end <= lead.start]
            if before:
                first.insert(0, max(before, key=lambda s: s.start))
        return first + [s for s in picked if not any(s is f for f in first)], lead

    def _unanswered(self, question: str, language: str, scored: list[ScoredSentence], picked: list[ScoredSentence]) -> str | None:
        """Why the evidence does not answer the question, or None. May add the sentence stating a quantity."""
        if abstain.asks_quantity(question):
            sources = list({s.source.passage.id: s.source for s in scored}.values())  # the passages sentences come from
            answers, reason = self._stated_quantities(question, language, scored, picked, sources)
            if not answers:
                return reason
            if not any(s is a for s in picked for a in answers):
                picked[:] = sorted(picked[: self.cfg.max_sentences - 1] + answers[:1], key=lambda s: (s.source.rank, s.start))
        return None

    def _stated_quantities(self, question, language, scored, picked, sources) -> tuple[list[ScoredSentence], str | None]:
        """The picked sentences, then those of the top ten, that state the asked quantity (1) about the question's
        subject — their passage covers at least half as much of the question as the best-covering passage, or the
        sentence is the best match itself — and (2) in its time frame; else why none does."""
        chosen = {id(s) for s in picked}
        window = picked + [s for s in scored[: self.cfg.max_sentences * 2] if id(s) not in chosen]
        stating = [s for s in window if abstain.states_quantity(question, language, s.text)]
        if not stating:
            return [], abstain.REASONS["quantity"][language]
        weights = self._term_weights
        q_terms = weights.question_terms(question, QUESTION_WORDS)
        coverage = {s.passage.id: weights.coverage(question, q_terms, s.passage.id, s.passage.text) for s in sources}
        best = max(coverage.values(), default=0.0)
        on_topic = [s for s in stating if s is scored[0] or abstain.on_topic(coverage[s.source.passage.id], best)]
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

    def _pick(self, question: str, sources: list[Source], scored: list[ScoredSentence], language: str) -> list[ScoredSentence]:
        """The best sentences within the margin, one more per clause, and their continuations."""
        best = scored[0].score
        picked = [scored[0]]
        # Scored against the whole question, the first clause crowds out the second
        # ("…, en sinds wanneer geldt die?"): each clause adds its best sentence not yet chosen. The
        # passages were ranked for the whole question, so a clause's sentences lean less on that
        # ranking: the part it asks about may stand in a passage ranked lower.
        clause_score = lambda s: s.evidence - self.cfg.clause_score_weight * s.gap  # noqa: E731
        for clause in self._clauses(question):
            ranked = sorted(self.score_sentences(clause, sources, language), key=clause_score, reverse=True)
            fresh = [s for s in ranked if not any(_same(s, p) or _similar(s.text, p.text) for p in picked)]
            if fresh and clause_score(fresh[0]) >= clause_score(ranked[0]) - self.cfg.sentence_margin:
                picked.append(fresh[0])
        for s in scored[1:]:
            if len(picked) >= self.cfg.max_sentences:
                break
            if s.score < best - self.cfg.sentence_margin and len(picked) >= MIN_SENTENCES:
                break
            if any(_similar(s.text, p.text) for p in picked):
                continue
            picked.append(s)
        picked += self._continuations(picked, scored, bool(WHY_QUESTION.search(question)))
        # Read like text: group by passage in rank order, sentences in letter order within a passage.
        return sorted(picked, key=lambda s: (s.source.rank, s.start))

    @staticmethod
    def _clauses(question: str) -> list[str]:
        """The clauses of a compound question, or none for a simple one."""
        clauses = [c for c in _CLAUSE_BREAK.split(question) if len(c.split()) >= 2]
        return clauses if len(clauses) > 1 else []

    def _continuations(self, picked: list[ScoredSentence], scored: list[ScoredSentence], wants_reason: bool) -> list[ScoredSentence]:
        """Neighbours the two best sentences need to be understood: the previous sentence when a
        chosen one leans back (``Hier kan het COA …``), and up to :data:`FOLLOW` next sentences
        while they lean on it (``Dat is belangrijk om …``) or, for a why-question, give the reason
        (``De clustering dient ertoe dat …``)."""
        chosen = {(s.source.passage.id, s.start) for s in picked}
        by_position = {(s.source.passage.id, s.start): s for s in scored}
        extra: list[ScoredSentence] = []

        def take(passage_id: str, start: int, joins) -> bool:
            other = by_position.get((passage_id, start))
            if other is None or not joins(other.text):
                return False
            if (passage_id, start) not in chosen:
                extra.append(other)
                chosen.add((passage_id, start))
            return True

        follows = lambda text: bool(  # noqa: E731
            _LEANS_BACK.match(text) or _POINTS_BACK.match(text) or (wants_reason and REASON.search(text))
        )
        for s in picked[:2]:
            pid = s.source.passage.id
            starts = [span[0] for span in self.store.sentences[self._rows[pid]]]
            i = starts.index(s.start)
            if i > 0 and _LEANS_BACK.match(s.text):
                take(pid, starts[i - 1], lambda _: True)
            for start in starts[i + 1 : i + 1 + FOLLOW]:
                if not take(pid, start, follows):
                    break
        return extra

    def _render(self, question: str, picked: list[ScoredSentence], lead: ScoredSentence | None, language: str, on_text: OnText | None) -> Composition:
        """The direct-answer line (when the question type has one), then the quoted sentences, each with its marker."""
        citations = CitationBuilder()
        pieces: list[str] = []
        answering = lead or picked[0]
        direct = direct_span(question, language, answering.text)
        if direct and not is_supported(answering.text[direct[0] : direct[1]], answering.source.passage.text):
            direct = None  # a span the support check cannot confirm (no content terms) is no answer line
        if direct:
            citation = citations.cite(answering.source)
            citations.add_answer_span(citation, answering.start + direct[0], answering.start + direct[1])
            span = answering.text[direct[0] : direct[1]]
            shown = in_english(span) if language == "en" else span
            quoted = f" (“{span}”)" if shown != span else ""  # the letter's words stay beside the rendering
            pieces.append(f"{DIRECT_LEAD_IN[language]}**{shown}**{quoted} {format_marker([citation.n])}.\n")
        for i, s in enumerate(picked):
            citation = citations.cite(s.source)
            citations.add_sentence(citation, s.start, s.end)
            quoted = f"“{s.text}”" if language == "en" else s.text
            pieces.append(("" if i == 0 else " ") + (LEAD_IN[language] if i == 0 else "") + f"{quoted} {format_marker([citation.n])}")
        if on_text:
            for piece in pieces:
                on_text(piece)
        return Composition(text="".join(pieces), citations=citations.citations, abstained=False)


def _with_neighbours(cosines: np.ndarray, windows: np.ndarray, weight: float) -> np.ndarray:
    """Sentence cosines mixed with those of the sentence read beside a neighbour.

    ``windows[i]`` is the cosine of sentences i and i + 1 embedded together (index/sentences.py's
    ``window_spans``). A sentence that answers only with the one before it ("Dit budget bedroeg in
    2023 ...") scores what the better of its two windows scores, if that is more than its own.
    """
    around = np.maximum(np.append(windows, -1.0), np.insert(windows, 0, -1.0))
    return (1 - weight) * cosines + weight * np.maximum(around, cosines)


def _same(a: ScoredSentence, b: ScoredSentence) -> bool:
    return a.source.passage.id == b.source.passage.id and a.start == b.start


def _similar(a: str, b: str) -> bool:
    return containment(set(analyze(a)), set(analyze(b))) > 0.8  # 0 when either has no terms
