"""Thumbs up/down on answers, appended to a local JSONL file (``Config.feedback_file``).

One JSON object per line, UTF-8; lines are only ever appended::

    {
      "id": "3f2a…",            # one rating; a later line with the same id supersedes it
                                 # (the app writes the rating at once, and again if a comment follows)
      "timestamp": "2024-05-01T14:03:12+02:00",   # ISO 8601, local time with offset
      "verdict": "up" | "down",
      "comment": "…",           # free text, "" when none was given
      # then every field of rag.types.Answer.to_dict():
      "question": "…", "answer": "… [1] …", "abstained": false,
      "citations": [{"n", "id", "letter", "title", "date", "page", "text", "sentences", "spans"}],
      "passages": [{"rank", "id", "letter", "title", "date", "page", "heading", "score", "text"}],
      "timings_ms": {…}, "language": "nl", "composer": "extractive",
      "notices": […], "unsupported": […], "resolved_question": null
    }

A converter can turn an "up" line into an evaluation item with the cited passage ids as expected
evidence, and a "down" line into one whose citations were wrong (the comment says why).

Writes are safe with several users and several app processes: each record is appended as one
whole line under a process-wide lock and an exclusive ``flock``, then fsync'ed before returning.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from datetime import datetime
from pathlib import Path

VERDICTS = ("up", "down")
MAX_COMMENT_CHARS = 2000

_lock = threading.Lock()


def record_feedback(path: Path, answer_dict: dict, verdict: str, comment: str = "", feedback_id: str | None = None) -> dict:
    """Append one feedback record for ``answer_dict`` (an ``Answer.to_dict()``); returns the record written."""
    if verdict not in VERDICTS:
        raise ValueError(f"feedback verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    record = {
        "id": feedback_id or uuid.uuid4().hex,
        "timestamp": datetime.now().astimezone().isoformat(timespec="seconds"),
        "verdict": verdict,
        "comment": (comment or "").strip()[:MAX_COMMENT_CHARS],
        **answer_dict,
    }
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            written = 0
            while written < len(line):
                written += os.write(fd, line[written:])
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the flock
    return record
