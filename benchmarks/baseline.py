"""The plain baseline beside the product, scored in one run with the same metric code.

    python -m benchmarks.baseline [--faq DIR] [--out DIR] [--ablation]

The baseline is the pipeline a newcomer builds in an afternoon: each file's raw text cut by
LangChain's ``RecursiveCharacterTextSplitter`` (1,000 characters, 200 overlap), embedded with the
product's own e5 checkpoint and prefixes, searched in a flat FAISS inner-product index; and bm25s
with its default tokenizer over the same chunks. The product runs its retrieval modes over its own
index. Every system is scored on the dev, dev2, dev_en and test splits (passage hit@k and MRR@10
by :mod:`eval.metrics`, answerable items) and on the FAQ benchmark (document level,
:mod:`eval.benchmark`). ``--ablation`` adds the hybrid with each stage switched off in turn.
Prints one table and writes ``baseline.json`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

from eval.benchmark import DEPTH, document_row, index_dir_for, is_current, load_questions, ranked_documents
from eval.dataset import RETRIEVAL_SPLITS, SPLITS, load_dataset
from eval.metrics import K, is_relevant, retrieval_scores
from eval.run import RelevanceIndex
from index.config import Config, bundled_letters_dir
from index.embedding import Embedder
from index.loaders import SUPPORTED_EXTENSIONS, read_document
from rag.retrieve import Retriever

DEFAULT_FAQ = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "rijksoverheid-faq"
CHUNK_CHARS, CHUNK_OVERLAP = 1000, 200
METRICS = ("hit@1", "hit@5", "mrr@10")

#: The hybrid with one stage off: (name, change to a copy of the retrieval settings). Dutch BM25
#: analysis is measured by the "product bm25" row beside "plain bm25" (bm25s' own tokenizer).
ABLATIONS = {
    "- English word translation": lambda r: setattr(r, "translation_threshold", 2.0),
    "- best-sentence dense ranking": lambda r: setattr(r, "sentence_weight", 0.0),
    "- two-sentence window ranking": lambda r: setattr(r, "window_weight", 0.0),
    "- sentences in context": lambda r: setattr(r, "context_weight", 0.0),
    "- English question shift": lambda r: setattr(r, "language_shift", 0.0),
    "- named-letter prior": lambda r: setattr(r, "reference_weight", 0.0),
    "- per-letter cap": lambda r: setattr(r, "per_letter_cap", DEPTH),
}


@dataclass
class Chunk:
    doc: str  # file stem
    text: str


class PlainPipeline:
    """Raw files, 1,000/200-character recursive chunks, e5 + flat FAISS, and bm25s over the same chunks."""

    def __init__(self, files: list[Path], embedder: Embedder):
        import bm25s
        import faiss
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_CHARS, chunk_overlap=CHUNK_OVERLAP)
        self.chunks = [Chunk(f.stem, t) for f in files for t in splitter.split_text(read_document(f).text)]
        self.embedder = embedder
        self.faiss = faiss.IndexFlatIP(embedder.dim)
        self.faiss.add(embedder.encode_passages([c.text for c in self.chunks]))
        self.bm25 = bm25s.BM25()
        self.bm25.index(bm25s.tokenize([c.text for c in self.chunks], show_progress=False), show_progress=False)

    def rank(self, question: str, mode: str, depth: int) -> list[int]:
        """Chunk rows, best first."""
        import bm25s

        depth = min(depth, len(self.chunks))
        if mode == "dense":
            _, rows = self.faiss.search(self.embedder.encode_query(question).reshape(1, -1), depth)
            return [int(r) for r in rows[0] if r >= 0]
        tokens = bm25s.tokenize([question], show_progress=False)
        rows, scores = self.bm25.retrieve(tokens, k=depth, show_progress=False)
        return [int(r) for r, s in zip(rows[0], scores[0]) if s > 0]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS)


def _mean(rows: list[dict]) -> dict[str, float]:
    return {m: mean(r[m] for r in rows) for m in METRICS} | {"n": len(rows)}


def score_plain_letters(plain: PlainPipeline, items, mode: str, same_letter: dict[str, set[str]]) -> dict:
    """Passage-level scores of the plain pipeline on answerable items; a chunk of file 001 counts for
    evidence cited from 000 (and back) exactly as the product's merged letter does."""
    rows = []
    for item in items:
        relevant = [is_relevant(c.text, same_letter.get(c.doc, {c.doc}), item.evidence) for c in plain.chunks]
        ranked = plain.rank(item.question, mode, K)
        rows.append(retrieval_scores([relevant[r] for r in ranked], sum(relevant)) | {"language": item.language})
    return _summary(rows)


def score_product_letters(assistant, items, mode: str) -> dict:
    relevance = RelevanceIndex(assistant.store)
    rows = []
    for item in items:
        relevant = relevance.relevant(item)
        sources = assistant.retriever.retrieve(item.question, k=K, mode=mode).sources
        rows.append(retrieval_scores([s.passage.id in relevant for s in sources], len(relevant)) | {"language": item.language})
    return _summary(rows)


def _summary(rows: list[dict]) -> dict:
    out = _mean(rows)
    for language in ("nl", "en"):
        subset = [r for r in rows if r["language"] == language]
        if subset:
            out[language] = _mean(subset)
    return out


def score_plain_faq(plain: PlainPipeline, questions, mode: str) -> dict:
    rows = []
    for q in questions:
        docs, seen = [], set()
        for row in plain.rank(q.question, mode, DEPTH):
            if plain.chunks[row].doc not in seen:
                seen.add(plain.chunks[row].doc)
                docs.append({plain.chunks[row].doc})
        rows.append(document_row(q, docs[:K], {})["metrics"])
    return _mean(rows)


def score_product_faq(assistant, questions, mode: str) -> dict:
    rows = []
    for q in questions:
        sources = assistant.retriever.retrieve(q.question, k=DEPTH, mode=mode).sources
        rows.append(document_row(q, ranked_documents(sources), {})["metrics"])
    return _mean(rows)


def _assistant(cfg: Config, benchmark: Path | None = None):
    """The product over the bundled letters' index, or over a benchmark's cached index; built if needed."""
    from index.build import build_index
    from index.store import exists
    from rag.assistant import Assistant

    cfg = deepcopy(cfg)
    if benchmark is None and not exists(cfg.index_dir):
        build_index(None, cfg)
    elif benchmark is not None:
        cfg.index_dir = index_dir_for(benchmark)
        if not is_current(cfg.index_dir, benchmark, cfg.chunk):
            build_index([benchmark / "docs"], cfg)
    return Assistant.load(config=cfg)


def _same_letter_groups() -> dict[str, set[str]]:
    from index.dedup import merge_duplicates
    from index.letters import load_letters

    letters, _ = load_letters([bundled_letters_dir()])
    groups = {}
    for letter in merge_duplicates(letters):
        ids = {letter.id, *letter.aliases}
        groups.update({i: ids for i in ids})
    return groups


def run(faq: Path, ablation: bool) -> dict[str, dict]:
    cfg = Config()
    cfg.llm.base_url = None
    splits = {name: [i for i in load_dataset(SPLITS[name]) if i.answerable] for name in (*RETRIEVAL_SPLITS, "dev_en")}
    questions = load_questions(faq)
    embedder = Embedder(cfg.model, cfg.model_cache)
    results: dict[str, dict] = {}

    letters_plain = PlainPipeline(_files(bundled_letters_dir()), embedder)
    faq_plain = PlainPipeline(_files(faq / "docs"), embedder)
    groups = _same_letter_groups()
    for mode in ("bm25", "dense"):
        results[f"plain {mode}"] = {
            **{name: score_plain_letters(letters_plain, items, mode, groups) for name, items in splits.items()},
            "faq": score_plain_faq(faq_plain, questions, mode),
        }

    letters_product = _assistant(cfg)
    faq_product = _assistant(cfg, faq)
    variants = {f"product {m}": (m, None) for m in ("bm25", "dense", "hybrid")}
    if ablation:
        for name, change in ABLATIONS.items():
            retrieval = deepcopy(cfg.retrieval)
            change(retrieval)
            variants[f"hybrid {name}"] = ("hybrid", retrieval)
    for name, (mode, retrieval) in variants.items():
        for assistant in (letters_product, faq_product):
            assistant.retriever = Retriever(assistant.store, assistant.embedder, retrieval or cfg.retrieval)
        results[name] = {
            **{split: score_product_letters(letters_product, items, mode) for split, items in splits.items()},
            "faq": score_product_faq(faq_product, questions, mode),
        }
    return results


def table(results: dict[str, dict]) -> str:
    sets = ("dev", "dev2", "dev_en", "test", "faq")
    header = "| system | " + " | ".join(f"{s} {m}" for s in sets for m in METRICS) + " | test nl/en hit@5 |"
    lines = [header, "|" + "---|" * (len(sets) * len(METRICS) + 2)]
    for name, r in results.items():
        cells = [f"{r[s][m]:.3f}" for s in sets for m in METRICS]
        lang = f"{r['test']['nl']['hit@5']:.2f} / {r['test']['en']['hit@5']:.2f}"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {lang} |")
    n = results[next(iter(results))]
    lines.append(f"\nItems: dev {n['dev']['n']}, dev2 {n['dev2']['n']}, dev_en {n['dev_en']['n']}, test {n['test']['n']} (answerable), FAQ {n['faq']['n']} questions.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faq", type=Path, default=DEFAULT_FAQ, help="FAQ benchmark folder (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("eval-out"), help="folder for baseline.json")
    parser.add_argument("--ablation", action="store_true", help="also the hybrid with each stage off in turn")
    args = parser.parse_args()
    results = run(args.faq, args.ablation)
    print(table(results))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "baseline.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
