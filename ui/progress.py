"""Index builds with rich progress bars in the terminal (``rag index``, and ``rag serve`` on first start)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from index.build import BuildReport, build_index
from index.config import Config


def build_with_progress(paths: list[Path] | None, cfg: Config) -> BuildReport:
    """Build the index of ``paths`` (default: the bundled letters), showing progress and a summary on stderr."""
    console = Console(stderr=True)
    columns = [
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total, rate="")
            task = bar.tasks[tasks[stage]]
            rate = f"{done / task.elapsed:.1f} {stage}/s" if task.elapsed and done else ""
            bar.update(tasks[stage], completed=done, total=total, rate=rate)

        report = build_index(paths, cfg, progress=progress)
    # soft_wrap: rich would otherwise fold long lines at 80 columns, even inside a file name.
    for error in report.errors:
        console.print(f"[red]skipped[/red] {error}", soft_wrap=True)
    # Every merge is named: a merged file's text is only searchable through the letter it joined.
    for alias, canonical in sorted(report.duplicates.items()):
        console.print(f"merged {alias} into {canonical} (same letter)", soft_wrap=True, markup=False)
    console.print(
        f"Indexed {report.letters} letters, {report.passages} passages, {report.sentences} sentences, {report.windows} windows, "
        f"{report.words} words ({report.embedded} texts embedded, {report.reused} reused; "
        f"{report.files_reused} files reused as indexed, {report.letters_rechunked} letters chunked) in "
        f"{report.seconds:.1f} s; {len(report.duplicates)} file(s) merged as duplicates; index: {cfg.index_dir}",
        soft_wrap=True,
    )
    return report
