"""Load test of the chat window: simultaneous questions through the app's HTTP API (``/ask``).

    python -m benchmarks.serve_load                 # start the app on a free loopback port
    python -m benchmarks.serve_load --url http://127.0.0.1:7860/

Each simulated user has its own session (a gradio_client ``Client``); all send their question at
the same moment and wait for the streamed answer to finish. The run checks that every question
was answered and prints latency percentiles. Loopback only: it refuses to load another host.
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

from index.config import Config

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
QUESTIONS = [
    "Hoeveel geld gaat er via de FRIT naar vluchtelingen in Turkije?",
    "Wat is de taskforce internationale migratie?",
    "How many migrants returned voluntarily via REAN in 2023?",
    "Welke instrumenten noemt het regeerakkoord om migratiesamenwerking te stimuleren?",
    "Wat zijn brede migratiepartnerschappen?",
]
MAX_USERS = 100


def answered(chat: list[dict]) -> bool:
    """The chat ends with a finished assistant message (an answer or an abstention, not the streaming cursor)."""
    if not chat or chat[-1].get("role") != "assistant":
        return False
    content = chat[-1].get("content")
    text = " ".join(part.get("text", "") for part in content) if isinstance(content, list) else str(content)
    return ('class="answer"' in text or 'class="abstain"' in text) and "streaming" not in text


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def run(url: str, users: int, timeout: float) -> int:
    from gradio_client import Client

    clients = [Client(url, verbose=False) for _ in range(users)]
    start = threading.Barrier(users)

    def one_user(i: int) -> tuple[float, bool, str]:
        start.wait()  # everyone asks at the same moment
        t0 = time.perf_counter()
        try:
            job = clients[i].submit(QUESTIONS[i % len(QUESTIONS)], api_name="/ask")
            chat, _sources, _box = job.result(timeout=timeout)
            ok, why = answered(chat), "no finished answer"
        except Exception as exc:  # a failed request is a result of the benchmark, not a crash of it
            ok, why = False, f"{exc.__class__.__name__}: {exc}"
        return time.perf_counter() - t0, ok, "" if ok else why

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        results = list(pool.map(one_user, range(users)))
    wall = time.perf_counter() - wall

    latencies = sorted(seconds for seconds, ok, _ in results if ok)
    failures = [why for _, ok, why in results if not ok]
    print(f"{users} simultaneous questions to {url}: {len(latencies)} answered, {len(failures)} failed, {wall:.1f} s wall clock")
    if latencies:
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        print(f"latency p50 {p50:.2f} s   p95 {p95:.2f} s   max {latencies[-1]:.2f} s   ({users / wall:.2f} questions/s)")
    for why in sorted(set(failures)):
        print(f"  failed: {why}", file=sys.stderr)
    return 0 if not failures else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve_load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app on this machine (default: start one on a free loopback port)")
    parser.add_argument("--index", help="index folder when starting the app (default: $RAG_HOME/index; built if missing)")
    parser.add_argument("--users", type=int, default=20, help="simultaneous questions (default: 20)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for each answer (default: 300)")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS:
        parser.error(f"--users must be between 1 and {MAX_USERS}")
    if args.url:
        if urlparse(args.url).hostname not in LOOPBACK:
            parser.error(f"--url must point at this machine ({', '.join(sorted(LOOPBACK))}), not {args.url}")
        return run(args.url, args.users, args.timeout)

    from index.store import exists
    from rag.assistant import Assistant
    from ui.app import build_app, launch
    from ui.progress import build_with_progress

    cfg = Config()
    if args.index:
        cfg.index_dir = Path(args.index)
    if not exists(cfg.index_dir):
        build_with_progress(None, cfg)
    demo = build_app(lambda: Assistant.load(config=cfg), cfg)
    _, url, _ = launch(demo, "127.0.0.1", None, share=False, block=False)
    try:
        return run(url, args.users, args.timeout)
    finally:
        demo.close()


if __name__ == "__main__":
    sys.exit(main())
