"""A folder built with publish_folder appears whole or not at all, and a concurrent winner stands."""

from __future__ import annotations

import stat

import pytest

from index.publish import publish_folder


def _siblings(folder):
    return sorted(p.name for p in folder.parent.iterdir())


def test_a_finished_build_is_renamed_into_place(tmp_path):
    target = tmp_path / "cache" / "model-v1"
    with publish_folder(target, "done") as tmp:
        assert tmp.parent == target.parent and not target.exists()
        (tmp / "weights").write_text("w")
        (tmp / "done").write_text("")
    assert (target / "weights").read_text() == "w"
    assert _siblings(target) == ["model-v1"]  # no temporary folder left
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_an_interrupted_build_leaves_nothing(tmp_path):
    target = tmp_path / "model-v1"
    with pytest.raises(KeyboardInterrupt):
        with publish_folder(target, "done") as tmp:
            (tmp / "weights").write_text("half")
            raise KeyboardInterrupt
    assert _siblings(target) == []


def test_a_concurrent_winner_stands(tmp_path):
    target = tmp_path / "model-v1"
    with publish_folder(target, "done") as tmp:
        (tmp / "done").write_text("mine")
        target.mkdir()  # another process publishes first
        (target / "done").write_text("theirs")
    assert (target / "done").read_text() == "theirs"
    assert _siblings(target) == ["model-v1"]


def test_an_unfinished_folder_in_the_way_is_an_error(tmp_path):
    target = tmp_path / "model-v1"
    target.mkdir()
    (target / "stray").write_text("")  # not empty, and without the marker: not a finished build
    with pytest.raises(OSError):
        with publish_folder(target, "done") as tmp:
            (tmp / "done").write_text("")
    assert _siblings(target) == ["model-v1"] and not (target / "done").exists()
