"""Write evaluation reports: JSON, Markdown tables, PNG plots, and rich tables for the terminal.

One run (``write_report``) gives ``report.json``, ``report.md`` (overall, by type, by language,
latency, worst items) and three plots: ``metrics_by_type.png``, ``first_relevant_rank.png`` and
``latency.png``. A comparison of retrieval modes (``write_compare``) gives ``compare.json``,
``compare.md`` and ``compare.png``.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from rich import box  # noqa: E402
from rich.table import Table  # noqa: E402

from eval.metrics import ABSTENTION_METRICS, ITEM_METRICS, K  # noqa: E402
from eval.run import Report  # noqa: E402

#: Column labels of the metric tables.
LABELS = {
    "hit@1": "hit@1",
    "hit@3": "hit@3",
    "hit@5": "hit@5",
    "hit@10": "hit@10",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
    "letter_coverage": "letters@10",
    "key_fact_accuracy": "key facts",
    "key_fact_recall": "key-fact recall",
    "citation_precision": "cit. precision",
    "direct_answer": "direct line right",
    "groundedness": "grounded",
    "abstention_precision": "abst. precision",
    "abstention_recall": "abst. recall",
    "answerable_declined": "ans. declined",
    "other_documents": "from other docs",
    "faithfulness": "judge faithful",
    "answer_relevancy": "judge relevancy",
}
#: Shown in the type plot (the full set is in report.md).
HEADLINE = ("hit@5", "mrr@10", "letter_coverage", "key_fact_accuracy", "citation_precision", "groundedness", "abstention_recall")


def metric_names(summary: dict) -> list[str]:
    """The metrics present in a summary, in report order (judge scores last, when present)."""
    extra = [name for name in LABELS if name in summary and name not in ITEM_METRICS + ABSTENTION_METRICS]
    return [*ITEM_METRICS, *ABSTENTION_METRICS, *extra]


def fmt(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def worst_items(report: Report, n: int = 10) -> list[dict]:
    """The ``n`` items that failed worst: a missed or late relevant passage, missing key facts,
    ungrounded sentences and wrong abstentions each add to the badness (ties keep dataset order)."""

    def badness(row: dict) -> float:
        m = row["metrics"]
        if not row["answerable"]:
            return 0.0 if row["abstained"] else 2.0  # an answer where there is none is as bad as a miss
        rank = row["first_relevant_rank"]
        return (
            (1.0 if rank is None else (rank - 1) / K)
            + (1 - m["key_fact_recall"] if m.get("key_fact_recall") is not None else 0)
            + (1 - m["groundedness"] if m.get("groundedness") is not None else 0)
            + (1.0 if row["abstained"] else 0)
        )

    ranked = sorted(report.items, key=badness, reverse=True)
    return [row for row in ranked[:n] if badness(row) > 0]


def failure_reasons(row: dict) -> str:
    """What went wrong with one item, in a few words."""
    reasons = []
    if row["answerable"]:
        rank = row["first_relevant_rank"]
        if row["n_relevant"] == 0:
            reasons.append("evidence in no indexed passage")
        elif rank is None:
            reasons.append(f"no relevant passage in top {K}")
        elif rank > 1:
            reasons.append(f"first relevant at rank {rank}")
        if row["missing_letters"]:
            reasons.append("letters missing: " + ", ".join(row["missing_letters"]))
        if row["abstained"]:
            reasons.append("declined")
        elif row["missing_key_facts"]:
            reasons.append("key facts missing: " + "; ".join(row["missing_key_facts"]))
    elif not row["abstained"]:
        reasons.append("answered an unanswerable question")
    if row["metrics"].get("other_documents"):
        reasons.append("quotes documents outside the evaluated letters")
    if row["unsupported_sentences"] and not row["abstained"]:
        reasons.append(f"{len(row['unsupported_sentences'])} unsupported sentence(s)")
    return "; ".join(reasons)


# ------------------------------------------------------------------------------- markdown
def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _metrics_md(groups: dict[str, dict]) -> str:
    names = metric_names(next(iter(groups.values()))) if groups else []
    header = ["", "n", *(LABELS[m] for m in names)]
    return _md_table(header, [[group, str(s["n"]), *(fmt(s.get(m)) for m in names)] for group, s in groups.items()])


def _latency_md(latency: dict[str, dict]) -> str:
    rows = [[stage, fmt(p["p50"]), fmt(p["p95"])] for stage, p in latency.items()]
    return _md_table(["stage", "p50 ms", "p95 ms"], rows)


def report_markdown(report: Report) -> str:
    o = report.overall
    title = f"# Evaluation: {report.mode} retrieval, k={report.k}, {report.composer} composer"
    lines = [
        title,
        "",
        f"{o['n']} items; index `{report.index}`" + (f"; judge `{report.judge}`" if report.judge else "") + ".",
        "",
        "## Overall",
        "",
        _md_table(["metric", "value"], [[LABELS[m], fmt(o.get(m))] for m in metric_names(o)]),
        "",
        "## By question type",
        "",
        _metrics_md(report.by_type),
        "",
        "## By language",
        "",
        _metrics_md(report.by_language),
        "",
        "## Latency (ms)",
        "",
        _latency_md(o["latency_ms"]),
        "",
        "## Worst items",
        "",
        _md_table(
            ["id", "type", "lang", "first relevant", "why"],
            [
                [r["id"], r["type"], r["language"], str(r["first_relevant_rank"] or "–"), failure_reasons(r)]
                for r in worst_items(report)
            ],
        ),
    ]
    if report.evidence_not_indexed:
        lines += ["", "Evidence found in no indexed passage: " + ", ".join(report.evidence_not_indexed)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- plots
def _grouped_bars(path: Path, groups: list[str], series: dict[str, list[float | None]], title: str) -> Path:
    """Bars of each series side by side per group; ``None`` draws no bar."""
    fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(groups) + 2), 4.5))
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * width
        present = [(g + offset, v) for g, v in enumerate(values) if v is not None]
        ax.bar([x for x, _ in present], [v for _, v in present], width, label=name)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=min(len(series), 4), loc="upper center", bbox_to_anchor=(0.5, -0.1))
    return _save(fig, path)


def plot_metrics_by_type(report: Report, path: Path) -> Path:
    types = list(report.by_type)
    series = {LABELS[m]: [report.by_type[t].get(m) for t in types] for m in HEADLINE}
    return _grouped_bars(path, types, series, f"Metrics by question type ({report.mode})")


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_first_relevant_rank(report: Report, path: Path) -> Path:
    ranks = [r["first_relevant_rank"] for r in report.items if r["answerable"]]
    labels = [str(i) for i in range(1, K + 1)] + [f"not in\ntop {K}"]
    counts = [ranks.count(i) for i in range(1, K + 1)] + [ranks.count(None)]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(labels, counts, color=["tab:blue"] * K + ["tab:red"])
    ax.set_xlabel("rank of the first relevant passage")
    ax.set_ylabel("answerable items")
    ax.set_title(f"First relevant passage ({report.mode}, {len(ranks)} items)")
    return _save(fig, path)


def plot_latency(report: Report, path: Path) -> Path:
    stages = list(report.overall["latency_ms"])
    data = [[r["timings"][s] for r in report.items if s in r["timings"]] for s in stages]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.boxplot(data, showfliers=True)
    ax.set_xticks(range(1, len(stages) + 1), stages)
    ax.set_ylabel("ms")
    ax.set_title(f"Latency per stage ({report.mode}, {len(report.items)} questions)")
    return _save(fig, path)


# --------------------------------------------------------------------------------- writers
def _write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def write_report(report: Report, out_dir: Path | str) -> list[Path]:
    """Write report.json, report.md and the plots of one run into ``out_dir``; returns the files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(report_markdown(report), encoding="utf-8")
    return [
        _write_json(out / "report.json", report.to_dict()),
        out / "report.md",
        plot_metrics_by_type(report, out / "metrics_by_type.png"),
        plot_first_relevant_rank(report, out / "first_relevant_rank.png"),
        plot_latency(report, out / "latency.png"),
    ]


def _compare_rows(reports: list[Report]) -> list[tuple[str, list[str]]]:
    # A benchmark run defines retrieval metrics only: rows that no run defines are left out.
    names = [m for m in metric_names(reports[0].overall) if any(r.overall.get(m) is not None for r in reports)]
    rows = [(LABELS[m], [fmt(r.overall.get(m)) for r in reports]) for m in names]
    for stage in reports[0].overall["latency_ms"]:
        for p in ("p50", "p95"):
            rows.append((f"{stage} {p} ms", [fmt(r.overall["latency_ms"].get(stage, {}).get(p)) for r in reports]))
    return rows


def write_compare(reports: list[Report], out_dir: Path | str) -> list[Path]:
    """Write compare.json, compare.md and compare.png for runs of the same items under several modes."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    modes = [r.mode for r in reports]
    md = f"# Retrieval modes compared ({reports[0].overall['n']} items, k={reports[0].k})\n\n"
    md += _md_table(["metric", *modes], [[label, *values] for label, values in _compare_rows(reports)]) + "\n"
    (out / "compare.md").write_text(md, encoding="utf-8")
    data = {r.mode: {"overall": r.overall, "by_type": r.by_type, "by_language": r.by_language} for r in reports}
    names = [m for m in metric_names(reports[0].overall) if m not in ("abstention_precision",)]
    series = {r.mode: [r.overall.get(m) for m in names] for r in reports}
    return [
        _write_json(out / "compare.json", data),
        out / "compare.md",
        _grouped_bars(out / "compare.png", [LABELS[m] for m in names], series, "Retrieval modes compared"),
    ]


# ---------------------------------------------------------------------------------- terminal
#: Short column labels for the terminal summary (it fits 80 columns); report.md has the full names.
SHORT = {
    "hit@1": "hit@1",
    "hit@5": "hit@5",
    "mrr@10": "MRR",
    "letter_coverage": "letters",
    "key_fact_accuracy": "facts",
    "citation_precision": "citeP",
    "groundedness": "ground",
    "abstention_recall": "abstR",
    "answerable_declined": "decl.",
}


def _elsewhere(rows: list[dict]) -> str:
    """A caption line counting answers drawn from documents outside the evaluated letters, if any."""
    counted = [r["metrics"]["other_documents"] for r in rows if r["metrics"].get("other_documents") is not None]
    if not sum(counted):
        return ""
    return f"\nanswers quoting half or more of their sentences from other documents: {sum(counted):.0f} of {len(counted)}"


def summary_table(report: Report) -> Table:
    """Headline metrics overall, by type and by language; the caption gives latency."""
    table = Table(
        title=f"rag eval: {report.mode}, k={report.k}, {report.composer} composer",
        caption="latency p50/p95 ms: "
        + ", ".join(f"{stage} {p['p50']:.0f}/{p['p95']:.0f}" for stage, p in report.overall["latency_ms"].items())
        + _elsewhere(report.items),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("", no_wrap=True)
    table.add_column("n", justify="right")
    for label in SHORT.values():
        table.add_column(label, justify="right")

    def add(name: str, s: dict, style: str | None = None) -> None:
        table.add_row(name, str(s["n"]), *(fmt(s.get(m)) for m in SHORT), style=style)

    add("overall", report.overall, "bold")
    table.add_section()
    for name, s in report.by_type.items():
        add(name, s)
    table.add_section()
    for name, s in report.by_language.items():
        add(name, s)
    return table


def compare_table(reports: list[Report]) -> Table:
    table = Table(title=f"Retrieval modes compared ({reports[0].overall['n']} items, k={reports[0].k})")
    table.add_column("metric")
    for r in reports:
        table.add_column(r.mode, justify="right")
    for label, values in _compare_rows(reports):
        table.add_row(label, *values)
    return table
