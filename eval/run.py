"""Run the evaluation set through an :class:`~rag.assistant.Assistant` and score every answer.

``run_eval(assistant, items)`` asks each question once and returns a :class:`Report`: one row per
item (question, answer, whether it abstained, rank of the first relevant passage, its metrics)
and the aggregates overall, by question type and by language (see :mod:`eval.metrics`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from eval.dataset import LANGUAGES, TYPES, EvalItem
from eval.metrics import (
    K,
    answer_claims,
    breakdown,
    check_claims,
    citation_precision,
    direct_answer_right,
    first_relevant_rank,
    groundedness,
    is_relevant,
    key_facts_found,
    needed_letters,
    retrieval_scores,
    summarize,
)
from rag.types import Answer


@dataclass
class Report:
    """One evaluation run; ``to_dict()`` is what report.json holds."""

    mode: str
    k: int
    composer: str
    index: str
    judge: str | None  # the judge model, when --judge ran
    items: list[dict]
    overall: dict
    by_type: dict
    by_language: dict
    evidence_not_indexed: list[str]  # answerable items to which no indexed passage is relevant

    @classmethod
    def from_rows(cls, rows: list[dict], **run) -> "Report":
        """Aggregate per-item rows; ``run`` holds mode, k, composer, index and judge."""
        return cls(
            **run,
            items=rows,
            overall=summarize(rows),
            by_type=breakdown(rows, "type", TYPES),
            by_language=breakdown(rows, "language", LANGUAGES),
            evidence_not_indexed=[r["id"] for r in rows if r["answerable"] and r["n_relevant"] == 0],
        )

    def to_dict(self) -> dict:
        return asdict(self)


class RelevanceIndex:
    """Which passages of the index are relevant to an item; computed once per item and reused."""

    def __init__(self, store):
        self.store = store
        self.letter_ids = {lid: {lid, *letter.aliases} for lid, letter in store.letters.items()}
        self._cache: dict[str, set[str]] = {}

    def relevant(self, item: EvalItem) -> set[str]:
        if item.id not in self._cache:
            self._cache[item.id] = {
                p.id for p in self.store.passages if is_relevant(p.text, self.letter_ids[p.letter], item.evidence)
            }
        return self._cache[item.id]


def score_item(
    item: EvalItem, answer: Answer, relevant: set[str], letter_ids: dict[str, set[str]], collection: set[str] | None = None
) -> dict:
    """The report row of one answered item.

    ``collection``: the indexed letters the evaluation set is about (those its evidence comes
    from). An index may hold other documents too (an archive, the scale benchmark's regulations);
    an answer that quotes half or more of its sentences from them is counted as drawn from elsewhere.
    """
    metrics: dict[str, float | None] = {}
    relevance = [s.passage.id in relevant for s in answer.passages]
    cited_relevant = [c.source.passage.id in relevant for c in answer.citations]
    row = {
        "id": item.id,
        "type": item.type,
        "language": item.language,
        "answerable": item.answerable,
        "question": item.question,
        "reference": item.answer,
        "answer": answer.text,
        "abstained": answer.abstained,
        "first_relevant_rank": first_relevant_rank(relevance),
        "n_relevant": len(relevant),
        "retrieved": [
            {"rank": s.rank, "id": s.passage.id, "letter": s.letter.id, "relevant": hit}
            for s, hit in zip(answer.passages, relevance)
        ],
        "citations": [
            {"n": c.n, "id": c.source.passage.id, "relevant": hit} for c, hit in zip(answer.citations, cited_relevant)
        ],
        "missing_key_facts": [],
        "missing_letters": [],
        "unsupported_sentences": [],
        "metrics": metrics,
        "timings": dict(answer.timings),
    }
    if item.answerable:
        metrics.update(retrieval_scores(relevance, len(relevant)))
        needed = needed_letters(item.evidence, letter_ids)
        if len(needed) > 1:
            top = {s.letter.id for s in answer.passages[:K]}
            row["missing_letters"] = sorted(needed - top)
            metrics["letter_coverage"] = float(not row["missing_letters"])
        if item.key_facts:
            found = key_facts_found(answer.text, item.key_facts)
            row["missing_key_facts"] = [f for f, ok in zip(item.key_facts, found) if not ok]
            metrics["key_fact_accuracy"] = float(all(found))
            metrics["key_fact_recall"] = sum(found) / len(found)
            metrics["direct_answer"] = direct_answer_right([t for c in answer.citations for t in c.answer_text], item.key_facts)
        metrics["citation_precision"] = citation_precision(cited_relevant)
    if collection is not None and answer.citations:
        # Each citation weighs as many sentences as it quotes (one, when a composer records none).
        quoted = [(max(len(c.sentences), 1), c.source.letter.id not in collection) for c in answer.citations]
        elsewhere = sum(n for n, other in quoted if other)
        metrics["other_documents"] = float(2 * elsewhere >= sum(n for n, _ in quoted))
    if not answer.abstained:
        claims = check_claims(answer_claims(answer.text), {c.n: c.source.passage.text for c in answer.citations})
        row["unsupported_sentences"] = [c.text for c in claims if not c.supported]
        metrics["groundedness"] = groundedness(claims)
    return row


def run_eval(assistant, items: list[EvalItem], mode: str | None = None, k: int = K, progress: bool = True, judge=None) -> Report:
    """Ask every item's question (retrieval ``mode``, ``k`` passages) and score the answers.

    ``progress`` shows a rich progress bar on stderr; ``judge`` (an :class:`eval.judge.Judge`)
    adds its faithfulness and answer-relevancy scores to each row.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    mode = mode or assistant.config.retrieval.mode
    relevance = RelevanceIndex(assistant.store)
    # A set without evidence (only unanswerable items) names no letters to tell others from.
    collection = needed_letters([e for item in items for e in item.evidence], relevance.letter_ids) or None
    # Start cold: query vectors cached by an earlier run (another mode) would make it look faster.
    assistant.embedder.clear_query_cache()
    rows = []
    columns = [TextColumn("eval {task.description:<7}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), disable=not progress) as bar:
        for item in bar.track(items, description=mode):
            answer = assistant.ask(item.question, mode=mode, k=k)
            row = score_item(item, answer, relevance.relevant(item), relevance.letter_ids, collection)
            if judge is not None and not answer.abstained:
                row["metrics"].update(judge.score(item.question, answer))
            rows.append(row)
    return Report.from_rows(
        rows,
        mode=mode,
        k=k,
        composer=assistant.composer.name,
        index=str(assistant.config.index_dir),
        judge=judge.model if judge is not None else None,
    )
