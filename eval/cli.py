"""``rag eval``: evaluate the assistant on a dataset, compare retrieval modes, or turn app
feedback into draft evaluation items. Registered in ui/cli.py; imported only when used."""

from __future__ import annotations

import argparse
from pathlib import Path

from eval.dataset import SPLITS
from index.config import MODES, Config
from index.errors import UserError

DEFAULT_OUT = Path("eval-out")


class EvalArgumentError(UserError, ValueError):
    """Options of ``rag eval`` that do not go together or name an unknown mode."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", help="evaluation set, JSONL (default: the bundled split named by --split)")
    p.add_argument("--split", choices=tuple(SPLITS), default="dev",
                   help="bundled split: dev, dev2, nearmiss and dev_en (tuned on) or test (frozen; only reported)")
    p.add_argument("--benchmark", metavar="DIR", help="score document retrieval on a folder of docs/ + questions.jsonl instead")
    p.add_argument("--index", help="index folder (default: $RAG_HOME/index)")
    p.add_argument("--out", default=str(DEFAULT_OUT), help=f"folder for reports and plots (default: {DEFAULT_OUT}/)")
    p.add_argument("--compare", help="comma-separated retrieval modes to run side by side, e.g. bm25,dense,hybrid")
    p.add_argument("--fast", action="store_true", help="only the fast subset of eval/floors.json, checked against its floors")
    p.add_argument("--judge", action="store_true", help="add LLM-judge faithfulness and relevancy (needs RAG_LLM_BASE_URL/MODEL)")
    p.add_argument("--from-feedback", metavar="FILE", help="turn the app's feedback JSONL into draft items (no evaluation)")
    p.add_argument("--out-dataset", metavar="NEW.jsonl", help="where --from-feedback writes the drafts")


def _modes(compare: str | None) -> list[str | None]:
    if not compare:
        return [None]
    modes = [m.strip() for m in compare.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise EvalArgumentError(f"--compare takes modes from {', '.join(MODES)}; got {compare!r}")
    return modes


def _from_feedback(args, console) -> int:
    from eval.feedback import items_from_feedback, write_items

    if not args.out_dataset:
        raise EvalArgumentError("--from-feedback needs --out-dataset NEW.jsonl")
    drafts, reviews = items_from_feedback(args.from_feedback)
    written = write_items(args.out_dataset, drafts, reviews)
    console.print(f"{len(drafts)} draft item(s), {len(reviews)} to review; wrote: " + (", ".join(map(str, written)) or "nothing"))
    return 0


def _judge(args, cfg: Config, console):
    from eval.judge import Judge, judge_available

    if not args.judge:
        return None
    if not judge_available(cfg.llm):
        console.print("[yellow]--judge skipped: no endpoint (set RAG_LLM_BASE_URL and RAG_LLM_MODEL)[/yellow]")
        return None
    return Judge(cfg.llm)


def _write_reports(reports, out: Path, console) -> None:
    """Print and write each run's report, and the comparison when several modes ran."""
    from eval.report import compare_table, summary_table, write_compare, write_report

    written = []
    for report in reports:
        console.print(summary_table(report))
        written += write_report(report, out / report.mode if len(reports) > 1 else out)
    if len(reports) > 1:
        console.print(compare_table(reports))
        written += write_compare(reports, out)
    console.print("Wrote " + ", ".join(str(p) for p in written))


def _benchmark(args, cfg: Config, build, console) -> int:
    from eval.benchmark import index_dir_for, is_current, load_questions, run_benchmark
    from rag.assistant import Assistant

    folder = Path(args.benchmark)
    questions = load_questions(folder)
    cfg.index_dir = Path(args.index) if args.index else index_dir_for(folder)
    if not is_current(cfg.index_dir, folder, cfg.chunk):
        console.print(f"Indexing the documents of {folder} into {cfg.index_dir} (once; reused while they are unchanged)")
        build([folder / "docs"], cfg)
    assistant = Assistant.load(config=cfg)
    reports = [run_benchmark(assistant, questions, mode=mode) for mode in _modes(args.compare)]
    _write_reports(reports, Path(args.out), console)
    return 0


def run_command(args, cfg: Config, build=None) -> int:
    """The ``rag eval`` subcommand; returns the exit code (1 when --fast falls below a floor).

    ``build(paths, cfg)`` indexes a benchmark's documents (the caller supplies one with progress).
    """
    from rich.console import Console

    from eval.dataset import load_dataset
    from eval.gate import fast_subset, gate_failures, load_floors
    from eval.judge import JudgeError
    from eval.run import run_eval
    from rag.assistant import Assistant

    console = Console()
    if args.from_feedback:
        return _from_feedback(args, console)
    if args.benchmark:
        from index.build import build_index

        return _benchmark(args, cfg, build or build_index, console)
    modes = _modes(args.compare)
    items = load_dataset(args.dataset or SPLITS[args.split])
    floors = load_floors() if args.fast else None
    if floors:
        items = fast_subset(items, floors)
    judge = _judge(args, cfg, console)
    assistant = Assistant.load(config=cfg)
    out = Path(args.out)
    try:
        reports = [run_eval(assistant, items, mode=mode, k=cfg.retrieval.k, judge=judge) for mode in modes]
    except JudgeError as exc:
        console.print(f"[red]rag eval: judge failed: {exc}[/red]")
        return 2
    finally:
        if judge is not None:
            judge.close()
    _write_reports(reports, out, console)
    if floors:
        gated = next((r for r in reports if r.mode == cfg.retrieval.mode), None)
        failures = gate_failures(gated.overall, floors) if gated else []
        for failure in failures:
            console.print(f"[red]below floor:[/red] {failure}")
        if gated and not failures:
            console.print(f"[green]fast subset: every metric at or above its floor ({gated.mode})[/green]")
        return 1 if failures else 0
    return 0
