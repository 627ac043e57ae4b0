"""How long each notebook takes: the measured table (``course_data/run_times.json``) and the line every
notebook's setup cell prints.

The table is written by ``benchmarks/cold_start.py``, which runs each notebook alone as Colab does: the
course installed from its wheel (not the checkout), in an empty folder, with an empty course-model cache.
A first run includes building the course models the notebook uses (and SmolLM2's float32 copy); later
runs load them from the cache, so they take the first run's time minus those builds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from .data import DATA_DIR
from .errors import CourseError, require_text

RUN_TIMES_FILE = DATA_DIR / "run_times.json"
COLD_BUDGET_S = 240  # DESIGN.md: each notebook <= 4 minutes from an empty cache, builds included
WARM_BUDGET_S = 180  # and <= 3 minutes with the course models cached


@dataclass(frozen=True)
class RunTime:
    """One notebook's measured first run: total seconds, and the seconds of each build inside it."""

    notebook: str
    cold_s: float
    builds: dict[str, float]
    prepare_s: float | None = None   # wall time of the builds when the setup cell ran them side by side

    @property
    def build_s(self) -> float:
        """Seconds the first run spends building: the setup cell's wall time where it built several
        models at once (``models.prepare``), else the one build's own time."""
        return self.prepare_s if self.prepare_s is not None else sum(self.builds.values())

    @property
    def warm_s(self) -> float:
        """A later run: the first run without its builds (the models then load from the cache)."""
        return max(self.cold_s - self.build_s, 0.0)


@lru_cache(maxsize=1)
def _table() -> dict:
    if not RUN_TIMES_FILE.is_file():
        raise CourseError(f"{RUN_TIMES_FILE} is missing: it ships with course_utils; reinstall the course, "
                          "or run `python benchmarks/cold_start.py` in a clone to measure it")
    return json.loads(RUN_TIMES_FILE.read_text(encoding="utf-8"))


def measured_on() -> str:
    """Where and when the table was measured (one line)."""
    meta = _table()["measured"]
    return f"{meta['date']}, {meta['machine']}, {meta['install']}"


def run_times() -> list[RunTime]:
    """Every notebook's measured first run, in course order."""
    rows = _table()["notebooks"]
    return [RunTime(name, float(r["cold_s"]), {k: float(v) for k, v in r["builds"].items()},
                    float(r["prepare_s"]) if "prepare_s" in r else None)
            for name, r in sorted(rows.items())]


def run_time(notebook: str) -> RunTime:
    """The measured first run of ``notebook``: its number ("06") or file stem ("06_gpt")."""
    notebook = require_text(notebook, "notebook", max_chars=80).strip()
    times = run_times()
    found = [t for t in times if t.notebook == notebook or t.notebook.split("_")[0] == notebook]
    if not found:
        raise CourseError(f"no measured run time for notebook {notebook!r}; known: "
                          f"{[t.notebook.split('_')[0] for t in times]}")
    return found[0]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def run_time_text(notebook: str) -> str:
    """What a notebook's setup cell prints: its run time with the course models cached, and its first run
    from an empty cache with what the first run builds."""
    t = run_time(notebook)
    text = (f"Run time on 2 CPU cores: about {_minutes(t.warm_s)} with the course models cached; "
            f"the first run, from an empty model cache, about {_minutes(t.cold_s)}")
    if t.builds:
        built = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in t.builds.items())
        side = "; two at a time" if t.prepare_s is not None else ""
        text += (f", of which {t.build_s:.0f} s build what later runs load from the cache ({built}{side})")
    else:
        text += " (it builds nothing)"
    return text + f".\n(Measured {_table()['measured']['date']} by benchmarks/cold_start.py; on Colab the install comes on top.)"


def builds(notebook: str) -> list[str]:
    """What the first run of ``notebook`` builds (the measured table's names): the list its setup cell gives
    ``models.prepare``."""
    return list(run_time(notebook).builds)


def print_run_time(notebook: str) -> None:
    """Print :func:`run_time_text` (the last line of every notebook's setup cell)."""
    print(run_time_text(notebook))
