"""The regression gate: metric floors for the fast subset of the evaluation set.

``eval/floors.json`` names the fast subset (``fast_subset``: item ids), the floors each metric
must reach (``floors``) and the ceilings it must not exceed (``ceilings``) on that subset with
the default retrieval mode and composer. ``rag eval --fast`` and tests/test_eval_gate.py check
them; how the subset was chosen and when floors change is in the file's ``_note``.
"""

from __future__ import annotations

import json
from pathlib import Path

from eval.dataset import EvalItem
from index.errors import UserError

FLOORS = Path(__file__).parent / "floors.json"


class FloorsError(UserError, ValueError):
    """The floors file cannot be read or lacks a section."""


def load_floors(path: Path = FLOORS) -> dict:
    try:
        floors = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FloorsError(f"{path}: cannot read the floors ({exc})") from exc
    if not {"fast_subset", "floors", "ceilings"} <= set(floors):
        raise FloorsError(f"{path}: needs 'fast_subset', 'floors' and 'ceilings'")
    return floors


def fast_subset(items: list[EvalItem], floors: dict) -> list[EvalItem]:
    """The items named in ``floors["fast_subset"]``, in dataset order."""
    wanted = set(floors["fast_subset"])
    missing = wanted - {item.id for item in items}
    if missing:
        raise ValueError(f"the fast subset names items the dataset lacks: {', '.join(sorted(missing))}")
    return [item for item in items if item.id in wanted]


def gate_failures(overall: dict, floors: dict) -> list[str]:
    """One message per metric below its floor or above its ceiling (an undefined metric fails)."""
    failures = []
    for name, floor in floors["floors"].items():
        value = overall.get(name)
        if value is None or value < floor:
            failures.append(f"{name} = {value if value is None else round(value, 4)} is below its floor {floor}")
    for name, ceiling in floors["ceilings"].items():
        value = overall.get(name)
        if value is None or value > ceiling:
            failures.append(f"{name} = {value if value is None else round(value, 4)} is above its ceiling {ceiling}")
    return failures
