"""Each notebook's first run as Colab makes it: the course installed from its wheel, an empty folder, an
empty course-model cache. Prints the table and, with --write, stores it in
course_utils/course_data/run_times.json, which every notebook's setup cell and notebook 00 read.

Usage: python benchmarks/cold_start.py [--write] [NOTEBOOK ...]   (default: every notebook)

Each notebook runs alone in its own kernel with COURSE_CACHE pointing at a new, empty folder, so it builds
every course model it loads (and SmolLM2's float32 copy) as a learner's first run does. The seconds of each
build come from the DONE file the build writes into the cache. Where a notebook builds several models, its
setup cell's ``models.prepare()`` builds them side by side (two at a time on two cores), and that cell's own
time is the builds' wall time (``prepare_s``). A later run loads those models from the cache, so it takes
the first run's time minus the builds' wall time. The interpreter, torch and transformers are this
environment's (`make setup`'s pins); only the course itself comes from the wheel.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "course_utils" / "course_data" / "run_times.json"
COLD_BUDGET_S = 240

EXECUTE = r'''
import json, sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=1500, kernel_name="python3", resources={"metadata": {"path": "."}}).execute()
seconds = time.perf_counter() - start
setup = next(c for c in nb.cells if c.cell_type == "code")   # its models.prepare() runs the builds
stamps = setup.metadata.get("execution", {})
from datetime import datetime
setup_s = (datetime.fromisoformat(stamps["shell.execute_reply"].replace("Z", "+00:00"))
           - datetime.fromisoformat(stamps["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()
print(json.dumps({"seconds": seconds, "setup_s": setup_s}))
'''


def build_wheel_site(tmp: Path) -> Path:
    """The course's wheel built from this checkout, installed without dependencies into a folder of its own."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp / "dist").glob("course_utils-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(tmp / "site"),
                    str(wheel)], check=True, capture_output=True)
    return tmp / "site"


def build_seconds(cache: Path) -> dict[str, float]:
    """Every build that left a DONE file in ``cache``: course models (DONE holds the seconds) and
    SmolLM2's float32 copy (DONE ends with 'in N s')."""
    builds = {}
    for done in sorted(cache.glob("*/*/DONE")) + sorted(cache.glob("packaged/*/*/DONE")):
        text = done.read_text()
        if done.parent.parent.parent.name == "packaged":
            match = re.search(r"in ([0-9.]+) s", text)
            name = "SmolLM2 float32 copy"
        else:
            match = re.match(r"([0-9.]+)", text)
            name = done.parent.parent.name.replace("__", "/")
        if match:
            builds[name] = round(float(match.group(1)), 1)
    return builds


def run_cold(notebook: Path, site: Path) -> dict:
    """Run ``notebook`` alone in an empty folder with an empty cache; return its seconds and builds."""
    with tempfile.TemporaryDirectory(prefix="cold-") as tmp:
        work, cache = Path(tmp) / "work", Path(tmp) / "cache"
        work.mkdir()
        cache.mkdir()
        shutil.copy(notebook, work / notebook.name)
        env = {**os.environ, "PYTHONPATH": str(site), "COURSE_MODELS": "local", "COURSE_CACHE": str(cache),
               "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        out = subprocess.run([sys.executable, "-c", EXECUTE, notebook.name], cwd=work, env=env,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"{notebook.name} failed:\n{(out.stdout + out.stderr)[-4000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        builds = build_seconds(cache)
        row = {"cold_s": round(result["seconds"], 1), "builds": builds}
        if len(builds) > 1:   # built side by side by the setup cell's models.prepare(): its wall time counts
            row["prepare_s"] = round(result["setup_s"], 1)
        return row


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--write", action="store_true", help=f"store the rows in {TABLE.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    books = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    load_before = os.getloadavg()[0]
    rows = {}
    with tempfile.TemporaryDirectory(prefix="wheel-") as tmp:
        site = build_wheel_site(Path(tmp))
        for book in books:
            start = time.perf_counter()
            rows[book.stem] = run_cold(book.resolve(), site)
            print(f"{book.stem}: {rows[book.stem]} ({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"\n{'notebook':<28}{'first run s':>12}{'builds s':>10}{'later runs s':>14}{'budget s':>10}")
    for name, r in rows.items():
        build = r.get("prepare_s", sum(r["builds"].values()))   # wall time of the builds
        flag = "" if r["cold_s"] <= COLD_BUDGET_S else "  over budget"
        print(f"{name:<28}{r['cold_s']:>12.1f}{build:>10.1f}{r['cold_s'] - build:>14.1f}{COLD_BUDGET_S:>10}{flag}")
    print(f"load average before: {load_before:.1f}, after: {os.getloadavg()[0]:.1f}")
    if args.write:
        table = json.loads(TABLE.read_text()) if TABLE.exists() else {"notebooks": {}}
        table["measured"] = {
            "date": dt.date.today().isoformat(),
            "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}",
            "install": "the course's wheel (non-editable) in an empty folder, empty model cache",
        }
        table["notebooks"].update(rows)
        table["notebooks"] = dict(sorted(table["notebooks"].items()))
        TABLE.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
