"""Warm ``ask`` latency of two code trees side by side, on one index.

    git archive OLD | tar -x -C /tmp/old;  git archive NEW | tar -x -C /tmp/new
    python -m benchmarks.ask_side_by_side --index DIR [--rounds 2] [--passes 1] [--cached] [--split dev,test] /tmp/old /tmp/new

Each round runs every tree once, alternating which goes first, each in a fresh process started
in that tree (so it imports that tree's code): load the index, ask the dev questions (the
extractive composer; ``--split`` picks the
evaluation splits, dev by default) and report p50/p95 of ``ask``, of retrieval and of composition, the machine's
load before and after, and a digest of the answers and rankings (equal digests: the same answers).
The query cache is cleared per question; with ``--cached`` every question is asked once first
and its query vector kept, so what is timed is what the code around the model costs. Prints
one JSON line per process, then the medians of the rounds per tree.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

KEYS = ("p50", "p95", "retrieve_p50", "retrieve_p95", "compose_p50", "compose_p95")


def child(index: Path, cached: bool, passes: int, splits: list[str]) -> dict:
    sys.path.insert(0, os.getcwd())  # the tree this process was started in, not this file's
    import numpy as np

    from eval.dataset import load_dataset
    from index.config import Config
    from rag.assistant import Assistant

    cfg = Config(index_dir=index)
    cfg.llm.base_url = None
    assistant = Assistant.load(index, config=cfg)
    questions = [item.question for split in splits for item in load_dataset(Path.cwd() / "eval" / "data" / f"{split}.jsonl")]
    for q in questions if cached else questions[:1]:  # warm-up (and with --cached, every query vector)
        assistant.ask(q)
    out = {"tree": str(Path.cwd()), "load_before": os.getloadavg()[0]}
    total, retrieve, compose, digest = [], [], [], hashlib.sha256()
    for q in questions * passes:
        if not cached:
            assistant.embedder.clear_query_cache()
        t = time.perf_counter()
        answer = assistant.ask(q)
        total.append((time.perf_counter() - t) * 1000)
        retrieve.append(answer.timings["retrieve"])
        compose.append(answer.timings["compose"])
        ranking = [(s.passage.id, round(s.score, 6)) for s in answer.passages]
        digest.update(json.dumps([answer.text, answer.abstained, ranking]).encode())
    for name, values in (("", total), ("retrieve_", retrieve), ("compose_", compose)):
        out[f"{name}p50"], out[f"{name}p95"] = float(np.percentile(values, 50)), float(np.percentile(values, 95))
    out.update(answers=digest.hexdigest()[:16], questions=len(questions) * passes, load_after=os.getloadavg()[0])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ask_side_by_side", description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="index folder both trees read")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cached", action="store_true", help="keep each question's query vector (time the rest)")
    parser.add_argument("--passes", type=int, default=1, help="passes over the questions per process (default: 1)")
    parser.add_argument("--split", default="dev", help="comma-separated evaluation splits whose questions are asked (default: dev)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("trees", nargs="*", type=Path, help="code trees (e.g. git archive exports)")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.index, args.cached, args.passes, args.split.split(","))))
        return 0
    rows: dict[Path, list[dict]] = {tree: [] for tree in args.trees}
    for r in range(args.rounds):
        for tree in args.trees if r % 2 == 0 else args.trees[::-1]:
            # This file by path, run in the tree: a tree older than this benchmark has no copy of it.
            command = [sys.executable, str(Path(__file__).resolve()), "--child", "--index", str(args.index.resolve()),
                       "--passes", str(args.passes), "--split", args.split] + (["--cached"] if args.cached else [])
            out = subprocess.run(command, cwd=tree, check=True, capture_output=True,
                                 text=True, env=os.environ | {"TOKENIZERS_PARALLELISM": "false", "RAG_LLM_BASE_URL": ""})
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows[tree].append(row)
            print(json.dumps(row), flush=True)
    for tree, runs in rows.items():
        medians = {k: round(statistics.median(run[k] for run in runs), 1) for k in KEYS}
        loads = [run["load_before"] for run in runs] + [run["load_after"] for run in runs]
        print(f"{tree}: {medians} load {min(loads):.1f}-{max(loads):.1f} answers {sorted({run['answers'] for run in runs})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
