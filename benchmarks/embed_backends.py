"""Embedding backends against torch fp32, interleaved in one process.

    python -m benchmarks.embed_backends [--rounds 3] [--explore] [--json]

Every passage of the bundled letters (index.letters + index.chunking, "passage: " prefix) is
embedded by each backend in turn, round after round, so that load from other processes on the
shared cores hits all of them alike. Prints per backend: passages/s (median over rounds), the
median of the per-round ratios to torch fp32, single-query latency p50/p95 (questions of the
evaluation set, "query: " prefix, one at a time, interleaved across backends), and the min and
median cosine of its passage and query vectors to torch fp32's. The load average is printed
before and after: figures taken on a busy machine are noise.

``--explore`` adds the OpenVINO settings that were tried while choosing the default: fp32
instead of the CPU's bf16, batch sizes 16 and 64, static sequence-length buckets, and the
THROUGHPUT hint (two streams fed by an async queue).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from index.backends import OpenVINOBackend, TorchBackend, ensure_openvino_export, torch_threads


def _passages() -> list[str]:
    from index.chunking import chunk_letter
    from index.config import ChunkConfig, bundled_letters_dir
    from index.letters import load_letters

    letters, _ = load_letters([bundled_letters_dir()])
    return [p.embedding_text() for letter in letters for p in chunk_letter(letter, ChunkConfig())]


def _questions(limit: int) -> list[str]:
    import eval as eval_pkg

    path = Path(eval_pkg.__file__).parent / "data" / "dev.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [item["question"] for item in lines][:limit]


def _variants(embedder, explore: bool) -> dict:
    cfg = embedder.cfg
    model = embedder.model
    variants = {"torch": TorchBackend(model, cfg.batch_size)}
    try:
        ir = ensure_openvino_export(model, embedder.path, embedder.checksum, embedder.cache_dir)
    except Exception as exc:  # report, still measure torch
        print(f"openvino unavailable: {exc.__class__.__name__}: {exc}")
        return variants
    variants["openvino"] = OpenVINOBackend(model, ir, cfg.batch_size)
    if explore:
        variants["openvino f32"] = OpenVINOBackend(model, ir, cfg.batch_size, {"INFERENCE_PRECISION_HINT": "f32"})
        variants["openvino one at a time, LATENCY"] = _Sequential(model, ir, cfg.batch_size)
        for size in (16, 32, 64):
            variants[f"openvino padded batches of {size}"] = _Padded(model, ir, size)
    return variants


class _Padded(OpenVINOBackend):
    """The usual way: padded batches of similar length on the LATENCY model (not batch-invariant at bf16)."""

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        request = self._latency_request()
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            feats = self.model.preprocess([texts[r] for r in rows])
            out[rows] = request.infer({k: feats[k].numpy() for k in self.inputs})[0]
        return out


class _Sequential(OpenVINOBackend):
    """One text after another on the LATENCY model (both threads on each text)."""

    def encode(self, texts):
        request = self._latency_request()
        return np.stack([request.infer(f)[0][0] for f in self.features(texts)]) if texts else np.zeros((0, self.dim))


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def run(rounds: int, explore: bool, n_queries: int) -> dict:
    from index.config import Config
    from index.embedding import Embedder

    cfg = Config()
    cfg.model.backend = "torch"  # the benchmark builds its own backends; torch needs no export
    embedder = Embedder(cfg.model, cfg.model_cache)
    passages = [cfg.model.passage_prefix + t for t in _passages()]
    queries = [cfg.model.query_prefix + q for q in _questions(n_queries)]
    variants = _variants(embedder, explore)
    tokens = [len(embedder.model.tokenizer(t)["input_ids"]) for t in passages]

    for backend in variants.values():  # warm-up: first-shape compilation, allocator, caches
        backend.encode(passages[:64])
        backend.encode(queries[:3])

    rates: dict[str, list[float]] = {name: [] for name in variants}
    vectors: dict[str, np.ndarray] = {}
    load = [os.getloadavg()]
    for _ in range(rounds):
        for name, backend in variants.items():
            started = time.perf_counter()
            vectors[name] = backend.encode(passages)
            rates[name].append(len(passages) / (time.perf_counter() - started))
        load.append(os.getloadavg())

    latencies: dict[str, list[float]] = {name: [] for name in variants}
    query_vectors: dict[str, list[np.ndarray]] = {name: [] for name in variants}
    for q in queries:
        for name, backend in variants.items():
            started = time.perf_counter()
            query_vectors[name].append(backend.encode([q])[0])
            latencies[name].append((time.perf_counter() - started) * 1000)
    load.append(os.getloadavg())

    reference, reference_q = vectors["torch"], np.stack(query_vectors["torch"])
    results = {}
    for name, backend in variants.items():
        ratios = [r / t for r, t in zip(rates[name], rates["torch"])]
        cos_p = _cosines(vectors[name], reference)
        cos_q = _cosines(np.stack(query_vectors[name]), reference_q)
        lat = sorted(latencies[name])
        results[name] = {
            "precision": backend.precision,
            "batch_size": backend.batch_size,
            "passages_per_s": statistics.median(rates[name]),
            "ratio_vs_torch": statistics.median(ratios),
            "ratios": ratios,
            "query_p50_ms": statistics.median(lat),
            "query_p95_ms": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
            "cosine_min": float(min(cos_p.min(), cos_q.min())),
            "cosine_median": float(np.median(np.concatenate([cos_p, cos_q]))),
        }
    return {
        "passages": len(passages),
        "mean_tokens": float(np.mean(tokens)),
        "queries": len(queries),
        "rounds": rounds,
        "threads": torch_threads(),
        "load_average_1min": [round(x[0], 2) for x in load],
        "backends": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=60, help="questions for the single-query latency")
    parser.add_argument("--explore", action="store_true", help="also the OpenVINO settings tried while choosing")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    report = run(args.rounds, args.explore, args.queries)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{report['passages']} passages (mean {report['mean_tokens']:.0f} tokens), {report['queries']} single queries, "
        f"{report['rounds']} interleaved rounds, {report['threads']} threads; "
        f"1-min load average {' → '.join(map(str, report['load_average_1min']))}"
    )
    print(f"{'backend':32s} {'prec':>5s} {'batch':>5s} {'pass/s':>7s} {'÷ torch':>8s} {'query p50':>10s} {'p95':>8s} {'cos min':>8s} {'cos med':>8s}")
    for name, r in report["backends"].items():
        print(
            f"{name:32s} {r['precision']:>5s} {r['batch_size']:5d} {r['passages_per_s']:7.1f} {r['ratio_vs_torch']:7.2f}x "
            f"{r['query_p50_ms']:8.1f}ms {r['query_p95_ms']:6.1f}ms {r['cosine_min']:8.5f} {r['cosine_median']:8.5f}"
        )


if __name__ == "__main__":
    main()
