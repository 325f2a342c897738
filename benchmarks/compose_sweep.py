"""Answer figures over a grid of composer settings, on one split, with the index loaded once.

    python -m benchmarks.compose_sweep [--split dev|test] FIELD=V1,V2 [FIELD=...]

FIELD is a field of :class:`index.config.AnswerConfig` (``max_sentences``, ``sentence_margin``,
``lexical_weight``, ``type_weight``, ``score_weight``, ...). Every combination of the values runs
the split through :func:`eval.run.run_eval` on the default index and prints one line: key facts,
citation precision, groundedness, unanswerable and answerable declined, median answer words.
Tune on dev; run test only to report what was chosen.
"""

from __future__ import annotations

import argparse
import itertools
import statistics

from eval.dataset import SPLITS, load_dataset
from eval.run import run_eval
from index.config import AnswerConfig
from rag.assistant import Assistant


def _grid(specs: list[str]) -> list[tuple[str, list]]:
    grid = []
    for spec in specs:
        name, _, values = spec.partition("=")
        if name not in AnswerConfig.model_fields or not values:
            raise SystemExit(f"compose_sweep: {spec!r} is not FIELD=V1,V2 with FIELD one of {', '.join(AnswerConfig.model_fields)}")
        kind = type(AnswerConfig.model_fields[name].default)
        grid.append((name, [kind(v) for v in values.split(",")]))
    return grid


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=tuple(SPLITS), default="dev")
    parser.add_argument("settings", nargs="*", help="FIELD=V1,V2 of AnswerConfig")
    args = parser.parse_args(argv)
    grid = _grid(args.settings)
    items = load_dataset(SPLITS[args.split])
    assistant = Assistant.load()
    answer_cfg = assistant.composer.cfg  # the composer reads its settings at each question
    for values in itertools.product(*(v for _, v in grid)):
        setting = dict(zip((n for n, _ in grid), values))
        for name, value in setting.items():
            setattr(answer_cfg, name, value)
        report = run_eval(assistant, items, progress=False)
        o = report.overall
        words = [len(r["answer"].split()) for r in report.items if r["answerable"] and not r["abstained"]]
        print(
            f"{args.split} {setting or 'defaults'}: key facts {o['key_fact_accuracy']:.3f}, "
            f"citation precision {o['citation_precision']:.3f}, grounded {o['groundedness']:.3f}, "
            f"unanswerable declined {o['abstention_recall']:.3f}, answerable declined {o['answerable_declined']:.3f}, "
            f"median words {statistics.median(words) if words else 0:.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
