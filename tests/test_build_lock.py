"""Course-model builds are safe to run at once: a lock per model and cache key, and no half-built folder
that a later load would trust. Read-only caches: complete ones serve without writing, incomplete ones
say how to fix it."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_utils import CourseError, models

# A subprocess that registers a small recipe whose build takes BUILD_SECONDS and logs each build, then
# loads it like a notebook would.
SCRIPT = r'''
import os, sys, time
from pathlib import Path
from course_utils import models

log = Path(os.environ["BUILD_LOG"])

def build(folder):
    with log.open("a") as f:
        f.write(f"start {os.getpid()}\n")
    (folder / "weights.txt").write_text("half")
    time.sleep(float(os.environ["BUILD_SECONDS"]))
    (folder / "weights.txt").write_text("0.5 1.5")
    with log.open("a") as f:
        f.write(f"end {os.getpid()}\n")

models.register_recipe(models.Recipe(
    "course/test-lock", 1, build, {"vectors": lambda folder: (folder / "weights.txt").read_text()},
    models.Card("a test model", "2 numbers", "recipe", "MIT"), budget_s=5))
models.load_recipes = lambda: None   # keep the test recipe; the real ones are not needed here
print("loaded:", models.ensure_built("course/test-lock").joinpath("weights.txt").read_text(), flush=True)
'''


def _start(tmp_path: Path, seconds: float) -> subprocess.Popen:
    env = {**os.environ, "COURSE_CACHE": str(tmp_path / "cache"), "BUILD_LOG": str(tmp_path / "builds.log"),
           "BUILD_SECONDS": str(seconds)}
    return subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_two_processes_building_the_same_model_build_it_once_and_both_load_it(tmp_path):
    first = _start(tmp_path, seconds=3)
    time.sleep(1.5)                                   # the first one holds the lock by now
    second = _start(tmp_path, seconds=3)
    outs = [p.communicate(timeout=120)[0] for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outs
    assert all("loaded: 0.5 1.5" in out for out in outs), outs
    assert "waiting for course/test-lock: another process is building it" in outs[1], outs[1]
    starts = [line for line in (tmp_path / "builds.log").read_text().splitlines() if line.startswith("start")]
    assert len(starts) == 1, starts                   # built once


def test_a_killed_build_leaves_nothing_a_later_load_trusts(tmp_path):
    victim = _start(tmp_path, seconds=60)
    log = tmp_path / "builds.log"
    for _ in range(600):                              # wait until the build has started writing
        if log.exists() and "start" in log.read_text():
            break
        time.sleep(0.1)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    folders = list((tmp_path / "cache" / "course__test-lock").iterdir())
    assert not any((f / "DONE").exists() for f in folders if f.is_dir())
    assert all(f.name.endswith((".tmp", ".lock")) for f in folders), folders
    again = _start(tmp_path, seconds=0)               # the lock died with the process; the build restarts
    out = again.communicate(timeout=120)[0]
    assert again.returncode == 0 and "loaded: 0.5 1.5" in out, out
    assert not any(f.name.endswith(".tmp") for f in (tmp_path / "cache" / "course__test-lock").iterdir())


@pytest.fixture
def lock_recipe(monkeypatch, tmp_path):
    builds: list[Path] = []
    recipe = models.Recipe("course/test-readonly", 1, lambda folder: builds.append(folder) or
                           (folder / "w.txt").write_text("1"), {"vectors": lambda f: (f / "w.txt").read_text()},
                           models.Card("a test model", "1 number", "recipe", "MIT"), budget_s=5)
    monkeypatch.setattr(models, "RECIPES", {recipe.name: recipe})
    monkeypatch.setattr(models, "load_recipes", lambda: None)
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    return recipe, builds


def _read_only(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_a_complete_read_only_cache_serves_without_writing(lock_recipe, tmp_path, monkeypatch):
    recipe, builds = lock_recipe
    folder = models.ensure_built(recipe.name)
    assert len(builds) == 1
    before = sorted(p.name for p in (tmp_path / "cache").rglob("*"))
    _read_only(tmp_path / "cache")

    def no_lock(*args, **kwargs):
        raise AssertionError("a complete cache must be served without taking a lock")

    monkeypatch.setattr(models, "build_lock", no_lock)
    assert models.ensure_built(recipe.name) == folder and len(builds) == 1
    assert sorted(p.name for p in (tmp_path / "cache").rglob("*")) == before


def test_an_incomplete_read_only_cache_names_the_fix(lock_recipe, tmp_path, monkeypatch):
    recipe, builds = lock_recipe
    import filelock

    def read_only(self, *args, **kwargs):      # what a read-only file system answers (root ignores mode bits)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(filelock.FileLock, "acquire", read_only)
    with pytest.raises(CourseError, match=r"cannot be written.*make models.*COURSE_CACHE"):
        models.ensure_built(recipe.name)
    assert builds == []


def test_a_complete_read_only_cache_serves_every_course_model_without_writing(monkeypatch):
    """The real cache, once complete (``make models``; here built first if needed), serves every course
    model with no write and no lock: what a classroom's shared, read-only cache relies on."""
    models.load_recipes()
    models.build_all()
    root = models.cache_root()
    before = sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob("*") if "packaged" not in p.parts)

    def no_lock(folder, what):
        raise AssertionError(f"{what}: a complete cache must be served without a lock or a write")

    monkeypatch.setattr(models, "build_lock", no_lock)
    for name, recipe in sorted(models.RECIPES.items()):
        task = sorted(recipe.loaders)[0]
        assert models.load(name, task=task) is not None, name
    after = sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob("*") if "packaged" not in p.parts)
    assert after == before
