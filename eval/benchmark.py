"""External retrieval benchmarks: a folder of documents with questions, scored at document level.

A benchmark folder holds ``docs/<id>.txt`` (or .pdf/.html/.xml) and ``questions.jsonl`` with
lines ``{"id": ..., "question": ..., "doc": "<id>"}`` or ``"docs": [...]`` (any of them answers).
Its documents go through the product's own build into a cached index under
``$RAG_HOME/benchmarks/`` (rebuilt only when a document changes), and each question is scored on
the distinct documents of its ranked passages: hit@1/3/5/10 and MRR@10, with the functions the
letters' evaluation uses, so a benchmark report has the same shape as ``rag eval``'s.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from eval.metrics import K, first_relevant_rank, retrieval_scores
from eval.run import Report
from index.chunking import chunker_settings
from index.config import ChunkConfig, rag_home
from index.errors import UserError
from rag.language import detect_language

#: Passages retrieved per question: enough for K distinct documents under the per-letter cap.
DEPTH = 50


class BenchmarkError(UserError, ValueError):
    """A benchmark folder that is not laid out as documented."""


@dataclass(frozen=True)
class BenchmarkQuestion:
    id: str
    question: str
    docs: frozenset[str]  # ids (file stems) of the documents that answer it


def load_questions(folder: Path | str) -> list[BenchmarkQuestion]:
    """The questions of a benchmark folder; raises :class:`BenchmarkError` naming the line of a problem."""
    folder = Path(folder)
    path = folder / "questions.jsonl"
    if not (folder / "docs").is_dir() or not path.is_file():
        raise BenchmarkError(f"{folder} is not a benchmark folder: it needs docs/ and questions.jsonl")
    known = {p.stem for p in (folder / "docs").iterdir() if p.is_file()}
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            docs = raw["docs"] if "docs" in raw else [raw["doc"]]
            question = BenchmarkQuestion(str(raw["id"]), raw["question"].strip(), frozenset(map(str, docs)))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BenchmarkError(f"{path}:{number}: expected {{'id', 'question', 'doc' or 'docs'}} ({exc})") from exc
        if not question.question or not question.docs <= known:
            raise BenchmarkError(f"{path}:{number}: empty question or a doc not in docs/: {sorted(question.docs - known)}")
        questions.append(question)
    if not questions:
        raise BenchmarkError(f"{path} has no questions")
    return questions


def index_dir_for(folder: Path | str) -> Path:
    """Where the cached index of a benchmark folder lives (one per folder path)."""
    folder = Path(folder).resolve()
    digest = hashlib.sha256(str(folder).encode("utf-8")).hexdigest()[:10]
    return rag_home() / "benchmarks" / f"{folder.name}-{digest}"


def is_current(index_dir: Path, folder: Path, chunk: ChunkConfig) -> bool:
    """Whether the index at ``index_dir`` holds exactly the current documents of ``folder``, cut by
    this chunker, in the store format this program reads (an older one is rebuilt, not refused)."""
    from index import store
    from index.loaders import SUPPORTED_EXTENSIONS

    try:
        manifest = store.read_manifest(index_dir)
    except store.StoreError:
        return False
    if manifest.format_version != store.FORMAT_VERSION or manifest.chunker != chunker_settings(chunk):
        return False
    files = [p for p in sorted((folder / "docs").iterdir()) if p.suffix.lower() in SUPPORTED_EXTENSIONS]
    current = {str(p.resolve()): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    return manifest.files == current


def ranked_documents(sources, depth: int = K) -> list[set[str]]:
    """The first ``depth`` distinct documents of ranked sources, each as its id and its aliases."""
    seen, ranked = set(), []
    for source in sources:
        if source.letter.id not in seen:
            seen.add(source.letter.id)
            ranked.append({source.letter.id, *source.letter.aliases})
            if len(ranked) == depth:
                break
    return ranked


def document_row(question: BenchmarkQuestion, ranked: list[set[str]], timings: dict) -> dict:
    """The report row of one question, given its ranked documents (each a set of ids of one document)."""
    relevance = [bool(ids & question.docs) for ids in ranked]
    return {
        "id": question.id,
        "type": "benchmark",
        "language": detect_language(question.question),
        "answerable": True,
        "question": question.question,
        "reference": ", ".join(sorted(question.docs)),
        "answer": "",
        "abstained": False,
        "first_relevant_rank": first_relevant_rank(relevance),
        "n_relevant": len(question.docs),
        "retrieved": [{"rank": r, "id": sorted(ids)[0], "relevant": hit} for r, (ids, hit) in enumerate(zip(ranked, relevance), 1)],
        "citations": [],
        "missing_key_facts": [],
        "missing_letters": [],
        "unsupported_sentences": [],
        "metrics": retrieval_scores(relevance, len(question.docs)),
        "timings": timings,
    }


def run_benchmark(assistant, questions: list[BenchmarkQuestion], mode: str | None = None, progress: bool = True) -> Report:
    """Rank documents for every question with the assistant's retriever and score them."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    mode = mode or assistant.config.retrieval.mode
    assistant.embedder.clear_query_cache()
    rows = []
    columns = [TextColumn("bench {task.description:<7}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), disable=not progress) as bar:
        for question in bar.track(questions, description=mode):
            started = time.perf_counter()
            retrieval = assistant.retriever.retrieve(question.question, k=DEPTH, mode=mode)
            timings = {"retrieve": (time.perf_counter() - started) * 1000}
            rows.append(document_row(question, ranked_documents(retrieval.sources), timings))
    return Report.from_rows(rows, mode=mode, k=K, composer="none (retrieval only)", index=str(assistant.config.index_dir), judge=None)
