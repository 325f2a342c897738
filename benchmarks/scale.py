"""Scale benchmark: the five letters plus ``dutch-regulations`` (1,505 documents) and a 500-document subset.

    python -m benchmarks.scale [--corpus DIR] [--sizes 500,1500] [--rebuild] [--repeat 3] [--out FILE.json]

For each size (the first N documents by ``manifest.jsonl`` order, plus the bundled letters):

- build: time, texts embedded (passages + sentences + windows + words) per second, peak memory (the
  child process's ``ru_maxrss``: native memory of OpenVINO/FAISS included), index size on disk;
- warm ``ask`` p50/p95 over the dev questions (extractive composer, query cache cleared per
  question), in a child process that also reports the dense search time, flat against the
  approximate index (:mod:`index.store`), and recall@10 of the approximate index against flat;
- ``rag serve`` start-up: process start until the HTTP port answers, and the server's peak memory;
- adding one letter (``rag index --add`` semantics: ``indexed_sources`` + ``build_index``) to
  a copy of the built index: the content-hash cache makes it incremental.

Indexes live in ``$RAG_HOME/scale/<size>/`` and are reused between runs (``--rebuild`` forces a
new build). Each measurement runs in its own process, so its peak memory is its own. Prints a
table with the load averages of the machine beside it; ``--out`` writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DEFAULT_CORPUS = Path("/work/shared/corpora/dutch-regulations")
ADDED_LETTER = "added-letter.txt"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def corpus_paths(corpus: Path, size: int) -> list[Path]:
    """The first ``size`` documents by manifest order, then the bundled letters."""
    from index.config import bundled_letters_dir

    with open(corpus / "manifest.jsonl", encoding="utf-8") as fh:
        ids = [json.loads(line)["id"] for line in fh if line.strip()]
    docs = [corpus / "docs" / f"{i}.txt" for i in ids[:size]]
    return docs + [bundled_letters_dir()]


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _config(index_dir: Path):
    from index.config import Config

    cfg = Config(index_dir=index_dir)
    cfg.llm.base_url = None  # the extractive composer is what is measured
    return cfg


# ------------------------------------------------------------------ children
def child_build(index_dir: Path, corpus: Path, size: int) -> dict:
    from index.build import build_index

    t0 = time.perf_counter()
    report = build_index(corpus_paths(corpus, size), _config(index_dir))
    seconds = time.perf_counter() - t0
    texts = report.passages + report.sentences + report.windows + report.words
    return {
        "seconds": seconds, "letters": report.letters, "passages": report.passages, "sentences": report.sentences,
        "windows": report.windows, "words": report.words, "texts": texts, "embedded": report.embedded,
        "texts_per_s": report.embedded / seconds if seconds else 0.0, "errors": len(report.errors),
        "peak_mb": _peak_mb(), "load": _load(),
    }


def child_add(index_dir: Path) -> dict:
    """Add one letter to ``index_dir`` as ``rag index --add`` does."""
    from index.build import build_index, indexed_sources
    from index.config import bundled_letters_dir

    cfg = _config(index_dir)
    letter = index_dir.parent / ADDED_LETTER
    if not letter.exists():  # a new letter: the first bundled letter, its text rewritten so nothing is a duplicate
        text = sorted(bundled_letters_dir().glob("*.txt"))[2].read_text(encoding="utf-8")
        letter.write_text(text.replace("migratie", "migratiebeleid")[: len(text) // 2], encoding="utf-8")
    t0 = time.perf_counter()
    report = build_index(indexed_sources(cfg) + [letter], cfg)
    return {"seconds": time.perf_counter() - t0, "embedded": report.embedded, "reused": report.reused,
            "letters": report.letters, "peak_mb": _peak_mb(), "load": _load()}


def child_ask(index_dir: Path, repeat: int) -> dict:
    import numpy as np

    from eval.dataset import load_dataset
    from rag.assistant import Assistant

    t0 = time.perf_counter()
    assistant = Assistant.load(index_dir, config=_config(index_dir))
    load_s = time.perf_counter() - t0
    questions = [item.question for item in load_dataset(_dev_split())]
    assistant.ask(questions[0])  # warm-up
    p50s, p95s, retrieve = [], [], []
    for _ in range(repeat):
        totals = []
        for q in questions:
            assistant.embedder.clear_query_cache()
            t = time.perf_counter()
            answer = assistant.ask(q)
            totals.append((time.perf_counter() - t) * 1000)
            retrieve.append(answer.timings["retrieve"])
        p50s.append(float(np.percentile(totals, 50)))
        p95s.append(float(np.percentile(totals, 95)))
    result = {"questions": len(questions), "repeat": repeat, "load_s": load_s,
              "p50_ms": statistics.median(p50s), "p95_ms": statistics.median(p95s),
              "retrieve_p50_ms": float(np.percentile(retrieve, 50)), "retrieve_p95_ms": float(np.percentile(retrieve, 95)),
              "index_type": assistant.retriever.store.manifest.index_type, "peak_mb": _peak_mb(), "load": _load()}
    result.update(_ann_figures(assistant, questions))
    return result


def _ann_figures(assistant, questions: list[str], random_queries: int = 500, k: int = 10) -> dict:
    """Flat against HNSW on this index: search time and recall@10 (dev query vectors and random passage vectors)."""
    import numpy as np

    import faiss

    from index.store import HNSW_EF_SEARCH, build_ann

    store = assistant.retriever.store
    vectors = np.asarray(store.vectors(), dtype=np.float32)
    flat = store.flat_index()
    t0 = time.perf_counter()
    ann = build_ann(vectors)
    ann_build_s = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    picks = vectors[rng.choice(len(vectors), size=min(random_queries, len(vectors)), replace=False)]
    noisy = picks + rng.normal(0, 0.02, picks.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    dev = np.stack([assistant.embedder.encode_query(q) for q in questions]).astype(np.float32)
    out = {"ann_build_s": ann_build_s, "passages": len(vectors)}
    # Recall@10 at k = 10, and of the top 10 within the k = 200 list retrieval asks for (its depth).
    for depth in (k, 200):
        params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, depth))
        for name, queries in (("dev", dev), ("random", noisy)):
            timings = {}
            found = {}
            for label, index in (("flat", flat), ("hnsw", ann)):
                times = []
                rows = []
                for q in queries:  # one query at a time, as retrieval does
                    t = time.perf_counter()
                    if label == "flat":
                        _, r = index.search(q.reshape(1, -1), depth)
                    else:
                        _, r = index.search(q.reshape(1, -1), depth, params=params)
                    times.append((time.perf_counter() - t) * 1000)
                    rows.append(r[0][:k])
                timings[label], found[label] = float(np.median(times)), rows
            recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(found["flat"], found["hnsw"])])
            tag = f"{name}_k{depth}"
            out[f"{tag}_recall@10"] = float(recall)
            out[f"{tag}_flat_ms"], out[f"{tag}_hnsw_ms"] = timings["flat"], timings["hnsw"]
    # The exact numpy path the store takes for a flat index (matrix @ q, top 200).
    times = []
    for q in dev:
        t = time.perf_counter()
        store.search(q, 200) if not store.approximate else store.scores(q)
        times.append((time.perf_counter() - t) * 1000)
    out["store_search_ms"] = float(np.median(times))
    return out


def _dev_split() -> Path:
    return Path(__file__).resolve().parent.parent / "eval" / "data" / "dev.jsonl"


# ------------------------------------------------------------------ serve
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_serve(index_dir: Path, timeout: float = 600.0) -> dict:
    """Start ``rag serve`` on a free port; seconds until the port answers HTTP, and the server's peak memory."""
    port = _free_port()
    env = os.environ | {"RAG_LLM_BASE_URL": "", "GRADIO_ANALYTICS_ENABLED": "False"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--index", str(index_dir), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    up = None
    try:
        while time.perf_counter() - t0 < timeout and proc.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read(1)
                up = time.perf_counter() - t0
                break
            except OSError:
                time.sleep(0.1)
        peak = _proc_peak_mb(proc.pid)
        # One question through the page's API, so the peak includes answering (the Assistant loads lazily).
        if up is not None:
            try:
                from gradio_client import Client

                Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
                    "Hoeveel geld gaat er via de FRIT naar vluchtelingen in Turkije?", api_name="/ask")
            except Exception as exc:  # the start-up time still stands
                print(f"  (serve question failed: {exc.__class__.__name__}: {exc})", file=sys.stderr)
            peak = _proc_peak_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {"startup_s": up, "peak_mb": peak, "load": _load()}


def _proc_peak_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# ------------------------------------------------------------------ driver
def _run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--child", *args], check=True,
                         capture_output=True, text=True, env=os.environ | {"TOKENIZERS_PARALLELISM": "false"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(size: int, corpus: Path, root: Path, rebuild: bool, repeat: int) -> dict:
    index_dir = root / str(size) / "index"
    result_file = root / str(size) / "build.json"
    if rebuild or not result_file.exists():
        if index_dir.exists():
            shutil.rmtree(index_dir)
        index_dir.parent.mkdir(parents=True, exist_ok=True)
        build = _run_child("build", str(index_dir), str(corpus), str(size))
        result_file.write_text(json.dumps(build, indent=2), encoding="utf-8")
    build = json.loads(result_file.read_text(encoding="utf-8"))
    row = {"documents": size, "build": build, "disk_mb": _dir_size(index_dir) / 1e6}
    row["ask"] = _run_child("ask", str(index_dir), str(repeat))
    row["serve"] = measure_serve(index_dir)
    # Adding one letter: on a copy, so the measured index stays the corpus as built.
    copy = root / str(size) / "add"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(index_dir, copy / "index")
    try:
        row["add"] = _run_child("add", str(copy / "index"))
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    return row


def print_table(rows: list[dict]) -> None:
    print(f"{'docs':>6} {'passages':>8} {'texts':>7} {'build s':>8} {'texts/s':>8} {'peak MB':>8} {'disk MB':>8} "
          f"{'ask p50':>8} {'ask p95':>8} {'serve s':>8} {'serve MB':>8} {'add s':>6}")
    for r in rows:
        b, a, s, d = r["build"], r["ask"], r["serve"], r["add"]
        print(f"{r['documents'] + 5:>6} {b['passages']:>8} {b['texts']:>7} {b['seconds']:>8.0f} {b['texts_per_s']:>8.1f} "
              f"{b['peak_mb']:>8.0f} {r['disk_mb']:>8.0f} {a['p50_ms']:>8.1f} {a['p95_ms']:>8.1f} "
              f"{(s['startup_s'] or float('nan')):>8.1f} {(s['peak_mb'] or float('nan')):>8.0f} {d['seconds']:>6.1f}")
    for r in rows:
        a = r["ask"]
        print(f"  {r['documents'] + 5} docs, {a['passages']} passages: dense top-200 flat {a['dev_k200_flat_ms']:.2f} ms "
              f"(store {a['store_search_ms']:.2f} ms) vs HNSW {a['dev_k200_hnsw_ms']:.2f} ms (built in {a['ann_build_s']:.0f} s); "
              f"HNSW recall@10 dev {a['dev_k10_recall@10']:.3f} / {a['dev_k200_recall@10']:.3f} (k=10/200), "
              f"random {a['random_k10_recall@10']:.3f} / {a['random_k200_recall@10']:.3f}; "
              f"add embedded {r['add']['embedded']} texts; load at build {r['build']['load']}, ask {a['load']}, "
              f"serve {r['serve']['load']}")


def main(argv: list[str] | None = None) -> int:
    from index.config import rag_home

    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder with manifest.jsonl and docs/")
    parser.add_argument("--sizes", default="500,1500", help="documents of the corpus per index (default: 500,1500)")
    parser.add_argument("--rebuild", action="store_true", help="build the indexes again even if they exist")
    parser.add_argument("--repeat", type=int, default=3, help="rounds over the dev questions (default: 3)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "build":
            result = child_build(Path(rest[0]), Path(rest[1]), int(rest[2]))
        elif kind == "add":
            result = child_add(Path(rest[0]))
        else:
            result = child_ask(Path(rest[0]), int(rest[1]))
        print(json.dumps(result))
        return 0
    root = rag_home() / "scale"
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(measure(size, args.corpus, root, args.rebuild, args.repeat))
        print(f"measured {size + 5} documents", file=sys.stderr)
    print(f"on {os.cpu_count()} CPU cores; load averages now {_load()}")
    print_table(rows)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"cpu_cores": os.cpu_count(), "rows": rows}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
