"""Benchmark answering on the bundled letters with the extractive composer.

    python -m benchmarks.ask_latency [--index DIR] [--repeat 3] [--split dev,test]

Prints the warm ``ask`` latency (p50/p95 over every question of each evaluation split, each asked
``--repeat`` times; the median of the per-round percentiles) and the time from process start to
the first answer (``rag ask`` in a fresh process, median of ``--repeat`` runs). Builds the index
first if there is none. Targets: p50 ≤ 100 ms, p95 ≤ 250 ms, first answer ≤ 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from eval.dataset import SPLITS, load_dataset
from index.config import Config
from index.store import exists


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="index folder (default: $RAG_HOME/index)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--split", default="dev,test", help="comma-separated evaluation splits, each reported (default: dev,test)")
    args = parser.parse_args()
    cfg = Config()
    if args.index:
        cfg.index_dir = Path(args.index)
    cfg.llm.base_url = None  # the extractive composer is what is measured
    if not exists(cfg.index_dir):
        from index.build import build_index

        build_index(None, cfg)

    starts = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "ui.cli", "ask", "--index", str(cfg.index_dir), "Wat is de FRIT?"],
            check=True, capture_output=True, env={**__import__("os").environ, "RAG_LLM_BASE_URL": ""},
        )
        starts.append(time.perf_counter() - t0)

    from rag.assistant import Assistant

    assistant = Assistant.load(config=cfg)
    for split in args.split.split(","):
        if split not in SPLITS:
            parser.error(f"--split: unknown split {split!r}; choose from {', '.join(SPLITS)}")
        questions = [item.question for item in load_dataset(SPLITS[split])]
        assistant.ask(questions[0])  # warm-up
        p50s, p95s, stages = [], [], {"retrieve": [], "compose": []}
        for _ in range(args.repeat):
            totals = []
            for q in questions:
                assistant.embedder.clear_query_cache()  # every question pays for its own embedding
                t0 = time.perf_counter()
                answer = assistant.ask(q)
                totals.append((time.perf_counter() - t0) * 1000)
                for stage in stages:
                    stages[stage].append(answer.timings[stage])
            p50s.append(np.percentile(totals, 50))
            p95s.append(np.percentile(totals, 95))
        print(f"{split}: {len(questions)} questions × {args.repeat} rounds, extractive composer, warm")
        print(f"  ask total   p50 {statistics.median(p50s):6.1f} ms   p95 {statistics.median(p95s):6.1f} ms")
        for stage, values in stages.items():
            print(f"  {stage:<10}  p50 {np.percentile(values, 50):6.1f} ms   p95 {np.percentile(values, 95):6.1f} ms")
    print(f"  process start to first answer (rag ask): median {statistics.median(starts):.1f} s")


if __name__ == "__main__":
    main()
