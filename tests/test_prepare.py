"""``models.prepare``: a notebook's first run builds its course models side by side (two worker processes),
each exactly as a build on its own makes it; with everything cached it does nothing. ``make models``
uses the same machinery."""

from __future__ import annotations

import hashlib

import pytest

from course_utils import CourseError, models

CHEAP = ["course/wiki-wordpiece", "course/gpt-tiny"]   # the two quickest recipes (seconds each)


def _digest(folder) -> str:
    return hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()


def test_prepare_builds_in_two_workers_what_a_build_alone_builds(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "side-by-side"))
    seconds = models.prepare(CHEAP, workers=2)
    assert sorted(seconds) == sorted(CHEAP) and all(s > 0 for s in seconds.values())
    folders = {name: models.RECIPES[name].folder() for name in CHEAP}
    assert all((f / "DONE").exists() for f in folders.values())
    assert "built course/" in capsys.readouterr().out
    assert models.prepare(CHEAP, workers=2) == {}                  # cached: nothing to do ...
    assert capsys.readouterr().out == ""                           # ... and nothing printed
    worker_built = _digest(folders["course/gpt-tiny"])

    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "alone"))  # the same model built in this process
    models.ensure_built("course/gpt-tiny")
    assert _digest(models.RECIPES["course/gpt-tiny"].folder()) == worker_built


def test_build_workers_reads_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_BUILD_WORKERS", "1")
    assert models.build_workers() == 1
    monkeypatch.delenv("COURSE_BUILD_WORKERS")
    assert 1 <= models.build_workers() <= 2
    monkeypatch.setenv("COURSE_BUILD_WORKERS", "two")
    with pytest.raises(CourseError, match="whole number"):
        models.build_workers()


def test_builds_of_several_threads_run_alone(monkeypatch):
    """A recipe that trains on several threads is never built beside another (measured: two two-thread
    distillation builds side by side took 5× longer than one after the other)."""
    calls = []
    monkeypatch.setattr(models, "_build_one", lambda name, rebuild=False: calls.append(name) or 1.0)
    multi = [n for n, r in models.RECIPES.items() if r.threads > 1]
    assert "course/distil-teacher" in multi
    seconds = models._build_many(multi, workers=2)              # nothing to share: no worker processes
    assert calls == multi and list(seconds) == multi
