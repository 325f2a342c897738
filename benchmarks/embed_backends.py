"""Embedding backends against torch fp32, interleaved in one process.

    python -m benchmarks.embed_backends [--rounds 3] [--explore] [--json]

What an index build embeds from the bundled letters (index.letters + index.chunking): every
passage, every sentence of them and every word, through ``Embedder`` (prefixes, length sorting,
progress steps) with each backend in turn, round after round, so that load from other processes
on the shared cores hits all of them alike. Prints per backend: passages/s (median over rounds),
the median of the per-round ratios to torch fp32 for passages, sentences and words, single-query
latency p50/p95 (questions of the evaluation set, one at a time, interleaved across backends),
and the min and median cosine of all its vectors to torch fp32's. The 1-minute load average is
printed after each round: figures taken on a busy machine are noise.

``--explore`` adds the OpenVINO settings that were tried while choosing the default: fp32
instead of the CPU's bf16, batch sizes 16 and 64, static sequence-length buckets, and the
THROUGHPUT hint (two streams fed by an async queue).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from index.backends import OpenVINOBackend, TorchBackend, ensure_openvino_export, torch_threads


def _corpus():
    """The passages of the bundled letters, as an index build cuts them."""
    from index.chunking import chunk_letter
    from index.config import ChunkConfig, bundled_letters_dir
    from index.letters import load_letters

    letters, _ = load_letters([bundled_letters_dir()])
    return [p for letter in letters for p in chunk_letter(letter, ChunkConfig())]


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


def _texts() -> dict[str, list[str]]:
    """What an index build embeds, from the bundled letters: passages, their sentences, their words."""
    from index.sentences import sentence_spans
    from index.vocabulary import corpus_words

    corpus = _corpus()
    passages = [p.embedding_text() for p in corpus]
    sentences = [p[s:e] for p in passages for s, e in sentence_spans(p)]
    return {"passages": passages, "sentences": sentences, "words": corpus_words(corpus)}


def run(rounds: int, explore: bool, n_queries: int, passages_only: bool = False) -> dict:
    from index.config import Config
    from index.embedding import Embedder

    cfg = Config()
    cfg.model.backend = "torch"  # the benchmark builds its own backends; torch needs no export
    base = Embedder(cfg.model, cfg.model_cache)
    texts = _texts()
    if passages_only:
        texts = {"passages": texts["passages"]}
    queries = _questions(n_queries)
    variants = _variants(base, explore)
    embedders = {}
    for name, backend in variants.items():  # the pipeline (prefixes, length sorting, progress steps) per backend
        embedders[name] = copy.copy(base)
        embedders[name].backend = backend
    tokens = [base.token_count(t) for t in texts["passages"]]
    encode = {"passages": "encode_passages", "sentences": "encode_passages", "words": "encode_words"}

    for e in embedders.values():  # warm-up: first shapes, allocator, caches
        e.encode_passages(texts["passages"][:64])
        e.encode_words(texts["words"][:64])
        e.encode_queries(queries[:3])

    rates = {name: {kind: [] for kind in texts} for name in variants}
    vectors: dict[str, dict[str, np.ndarray]] = {name: {} for name in variants}
    load = [os.getloadavg()]
    for _ in range(rounds):
        for kind, items in texts.items():
            for name, e in embedders.items():
                started = time.perf_counter()
                vectors[name][kind] = getattr(e, encode[kind])(items, on_batch=lambda n: None)
                rates[name][kind].append(len(items) / (time.perf_counter() - started))
        load.append(os.getloadavg())

    latencies: dict[str, list[float]] = {name: [] for name in variants}
    query_vectors: dict[str, list[np.ndarray]] = {name: [] for name in variants}
    for q in queries:
        for name, e in embedders.items():
            started = time.perf_counter()
            query_vectors[name].append(e.encode_queries([q])[0])
            latencies[name].append((time.perf_counter() - started) * 1000)
    load.append(os.getloadavg())

    reference_q = np.stack(query_vectors["torch"])
    results = {}
    for name, backend in variants.items():
        ratios = {kind: [r / t for r, t in zip(rates[name][kind], rates["torch"][kind])] for kind in texts}
        cos = np.concatenate(
            [_cosines(vectors[name][kind], vectors["torch"][kind]) for kind in texts]
            + [_cosines(np.stack(query_vectors[name]), reference_q)]
        )
        lat = sorted(latencies[name])
        results[name] = {
            "precision": backend.precision,
            "batch_size": backend.batch_size,
            "passages_per_s": statistics.median(rates[name]["passages"]),
            "ratio_vs_torch": statistics.median(ratios["passages"]),
            "ratios": ratios["passages"],
            "sentences_ratio": statistics.median(ratios["sentences"]) if "sentences" in texts else None,
            "words_ratio": statistics.median(ratios["words"]) if "words" in texts else None,
            "query_p50_ms": statistics.median(lat),
            "query_p95_ms": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
            "cosine_min": float(cos.min()),
            "cosine_median": float(np.median(cos)),
        }
    return {
        "passages": len(texts["passages"]),
        "sentences": len(texts.get("sentences", [])),
        "words": len(texts.get("words", [])),
        "mean_tokens": float(np.mean(tokens)),
        "queries": len(queries),
        "rounds": rounds,
        "threads": torch_threads(),
        "load_average_1min": [round(x[0], 2) for x in load],
        "backends": results,
    }


def _x(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=60, help="questions for the single-query latency")
    parser.add_argument("--explore", action="store_true", help="also the OpenVINO settings tried while choosing")
    parser.add_argument("--passages-only", action="store_true", help="skip the sentences and words (quicker)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    report = run(args.rounds, args.explore, args.queries, args.passages_only)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{report['passages']} passages (mean {report['mean_tokens']:.0f} tokens), {report['sentences']} sentences, "
        f"{report['words']} words, {report['queries']} single queries; {report['rounds']} interleaved rounds, "
        f"{report['threads']} threads; 1-min load average {' → '.join(map(str, report['load_average_1min']))}"
    )
    print(
        f"{'backend':32s} {'prec':>5s} {'pass/s':>7s} {'÷ torch':>8s} {'sent ÷':>7s} {'words ÷':>7s} "
        f"{'query p50':>10s} {'p95':>8s} {'cos min':>8s} {'cos med':>8s}"
    )
    for name, r in report["backends"].items():
        print(
            f"{name:32s} {r['precision']:>5s} {r['passages_per_s']:7.1f} {r['ratio_vs_torch']:7.2f}x "
            f"{_x(r['sentences_ratio']):>7s} {_x(r['words_ratio']):>7s} "
            f"{r['query_p50_ms']:8.1f}ms {r['query_p95_ms']:6.1f}ms {r['cosine_min']:8.5f} {r['cosine_median']:8.5f}"
        )
    print("per-round passage ratios: " + "; ".join(
        f"{name} {', '.join(f'{x:.2f}' for x in r['ratios'])}" for name, r in report["backends"].items() if name != "torch"
    ))


if __name__ == "__main__":
    main()
