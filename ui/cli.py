"""The ``rag`` command: index letters, inspect passages, ask, evaluate, serve, benchmark.

Every subcommand turns the project's known errors into one clear line on stderr and a non-zero
exit code; a stack trace means a bug.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from eval.cli import add_arguments as add_eval_arguments
from index.config import BACKENDS, COMPOSERS, MODES, Config, settings_error
from index.errors import UserError

#: The flags that set a field of the one settings object, each onto its field (``rag X --help``).
SETTING_FLAGS = {
    "index": "index_dir",
    "backend": "model.backend",
    "mode": "retrieval.mode",
    "k": "retrieval.k",
    "composer": "answer.composer",
    "host": "serve.host",
    "port": "serve.port",
    "share": "serve.share",
}


def _iso_date(value: str) -> str:
    """An argparse type: a yyyy-mm-dd date, kept as the string the letters' dates are compared with."""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date in the form yyyy-mm-dd (e.g. 2023-06-30)") from None


def _config(args) -> Config:
    """The settings: their defaults, then the ``RAG_`` environment variables, then this command's flags."""
    cfg = Config()
    for flag, setting in SETTING_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            *sections, name = setting.split(".")
            target = cfg
            for section in sections:
                target = getattr(target, section)
            setattr(target, name, value)
    return cfg


def _add_setting_flags(p: argparse.ArgumentParser, *, answering: bool = True) -> None:
    """Flags for the main settings; unset, a flag leaves the setting (or its ``RAG_`` variable) alone."""
    p.add_argument("--backend", choices=BACKENDS, help="what runs the embedding model (default: openvino; RAG_EMBED_BACKEND)")
    if answering:
        p.add_argument("--mode", choices=MODES, help="retrieval mode (default: hybrid; RAG_RETRIEVAL__MODE)")
        p.add_argument("-k", type=int, help="passages to retrieve (default: 10; RAG_RETRIEVAL__K)")
        p.add_argument("--composer", choices=COMPOSERS, help="answer composer (default: extractive; RAG_COMPOSER)")


# ---------------------------------------------------------------- rag index
def cmd_index(args) -> int:
    from index.build import indexed_sources
    from ui.progress import build_with_progress

    cfg = _config(args)
    cfg.merge_duplicates = not args.no_dedup
    paths = [Path(p) for p in args.paths] or None
    if args.add:
        paths = indexed_sources(cfg) + (paths or [])
    report = build_with_progress(paths, cfg)
    return 1 if report.errors else 0


# ------------------------------------------------------------- rag passages
def cmd_passages(args) -> int:
    from index.store import load_index

    cfg = _config(args)
    idx = load_index(cfg.index_dir)
    shown_letter = None
    for p in idx.passages:
        letter = idx.letters.get(p.letter)
        if args.letter and args.letter not in (p.letter, *(letter.aliases if letter else [])):
            continue
        row = {
            "id": p.id,
            "letter": p.letter,
            "title": letter.title if letter else None,
            "date": letter.date if letter else None,
            "page": p.page,
            "heading": p.heading,
            "kind": p.kind,
            "source": letter.source if letter else None,
            "merged_from": letter.aliases if letter else [],
            "text": p.text,
        }
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            if p.letter != shown_letter:
                merged = f" (merged: {', '.join(letter.aliases)})" if letter and letter.aliases else ""
                print(f"== {p.letter}: {row['source']}{merged}")
                shown_letter = p.letter
            where = f"p. {p.page}" if p.page else "-"
            print(f"{p.id}  [{where}] {p.heading or ''}\n    {p.text[:160]}{'…' if len(p.text) > 160 else ''}")
    return 0


# ------------------------------------------------------------------ rag ask
def _batch_row(item_id, answer) -> dict:
    """One line of ``rag ask --batch`` output (the documented schema)."""
    d = answer.to_dict()
    return {
        "id": item_id,
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [{k: c[k] for k in ("n", "letter", "title", "date", "page", "text")} for c in d["citations"]],
        "passages": [{k: p[k] for k in ("rank", "letter", "title", "page", "score", "text")} for p in d["passages"]],
        "timings_ms": d["timings_ms"],
    }


def _print_answer(answer) -> None:
    from rich.console import Console

    console = Console()
    for notice in answer.notices:
        console.print(f"[yellow]{notice}[/yellow]")
    console.print(answer.text, markup=False, highlight=False)
    shown = answer.citations or []
    if shown:
        console.print("\nBronnen:" if answer.language == "nl" else "\nSources:")
    for c in shown:
        p, letter = c.source.passage, c.source.letter
        where = ", ".join(part for part in (letter.date, f"p. {p.page}" if p.page else None) if part)
        console.print(f"[{c.n}] {letter.title}" + (f" ({where})" if where else ""), markup=False, highlight=False)
        console.print(f"    {p.text}", markup=False, highlight=False, style="dim")
    if answer.abstained:
        for s in answer.passages[:3]:
            console.print(f"- {s.letter.title}, p. {s.passage.page}: {s.passage.text[:300]}", markup=False, style="dim")


def cmd_ask(args) -> int:
    from rag.assistant import Assistant, QuestionError

    cfg = _config(args)
    assistant = Assistant.load(config=cfg)
    options = {"letters": args.letter, "date_from": args.date_from, "date_to": args.date_to}
    if args.batch:
        failures = 0
        for line_no, line in enumerate(Path(args.batch).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                answer = assistant.ask(item["question"], **options)
                row = _batch_row(item.get("id", line_no), answer)
            except (ValueError, KeyError, TypeError, QuestionError) as exc:
                failures += 1
                row = {"id": None, "line": line_no, "error": f"{exc.__class__.__name__}: {exc}"}
            print(json.dumps(row, ensure_ascii=False), flush=True)
        return 1 if failures else 0
    if not args.question:
        raise QuestionError("give a question, or --batch FILE")
    answer = assistant.ask(args.question, **options)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(answer)
    return 0


# ----------------------------------------------------------------- rag eval
def cmd_eval(args) -> int:
    from eval.cli import run_command
    from ui.progress import build_with_progress

    return run_command(args, _config(args), build=build_with_progress)


# ---------------------------------------------------------------- rag serve
def cmd_serve(args) -> int:
    from ui.app import serve

    cfg = _config(args)
    serve(cfg)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build or update the index (default: the bundled letters)")
    p.add_argument("paths", nargs="*", help="letter files or folders (.txt, .pdf, .html, .xml)")
    p.add_argument("--index", help="index folder (default: $RAG_HOME/index)")
    p.add_argument("--add", action="store_true", help="add PATHS to the letters already indexed")
    p.add_argument("--no-dedup", action="store_true", help="keep every file as its own letter, even exact copies")
    _add_setting_flags(p, answering=False)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("passages", help="list the indexed passages")
    p.add_argument("--index", help="index folder")
    p.add_argument("--letter", help="only passages of this letter id")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_passages)

    p = sub.add_parser("ask", help="answer a question (or a batch of questions) from the letters")
    p.add_argument("question", nargs="?", help="the question, in Dutch or English")
    p.add_argument("--index", help="index folder")
    p.add_argument("--batch", help='JSONL file of {"id": ..., "question": ...} lines; writes one JSON line per question')
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")
    _add_setting_flags(p)
    p.add_argument("--letter", action="append", help="only search this letter id (repeatable)")
    p.add_argument("--from", dest="date_from", type=_iso_date, help="only letters dated on/after yyyy-mm-dd")
    p.add_argument("--to", dest="date_to", type=_iso_date, help="only letters dated on/before yyyy-mm-dd")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="evaluate retrieval and answers on the evaluation set; compare modes")
    add_eval_arguments(p)
    _add_setting_flags(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", help="start the chat window in the browser (builds the index first if missing)")
    p.add_argument("--index", help="index folder")
    _add_setting_flags(p)
    p.add_argument("--host", help="address to listen on (default: 127.0.0.1, this machine only; RAG_SERVE__HOST)")
    p.add_argument("--port", type=int, help="port (default: 7860; RAG_SERVE__PORT)")
    p.add_argument("--share", action="store_true", default=None, help="also create a public gradio.live link (off by default)")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    # What a user can run into (bad input, settings, datasets, missing or unreadable files, the
    # model, the index, the LLM endpoint) is a UserError, a settings ValidationError or an OSError
    # and ends as one line; anything else, a bare ValueError included, is a bug and keeps its trace.
    user_errors = (UserError, ValidationError, OSError)
    # Loading the model takes a moment; the per-weight bar transformers draws for it would be noise
    # on every command. Index builds draw their own progress bars (ui/progress.py).
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except user_errors as exc:
        if isinstance(exc, ValidationError):  # a setting (flag or RAG_ variable) out of its range
            message = settings_error(exc)
        else:
            message = " ".join(str(exc).split()) or exc.__class__.__name__
        print(f"rag {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"rag {args.command}: interrupted; the previous index is unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
