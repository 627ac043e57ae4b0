"""Execute each notebook in a fresh kernel and print wall seconds and peak memory per notebook.

Usage: python benchmarks/notebook_times.py [NOTEBOOK ...]   (default: every notebook)
Each notebook runs in its own child process, whose children (the kernel) are measured with
getrusage(RUSAGE_CHILDREN), so the peak memory is the kernel's own. Course models are built first
(`make models`) so the times are those of a learner with a warm cache.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 180  # DESIGN.md: each notebook ≤ 3 minutes; the whole series ≤ 20 minutes


def run_one(path: Path) -> None:
    """Child mode: execute ``path`` (on a copy) and print a JSON line with seconds and peak RSS."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=1200, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        nbformat.write(nb, Path(tmp) / path.name)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024}))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        run_one(Path(argv[1]))
        return 0
    books = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    env = dict(os.environ, COURSE_MODELS="local")
    subprocess.run([sys.executable, "-m", "course_utils.build_models"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    rows = []
    for book in books:
        out = subprocess.run([sys.executable, __file__, "--one", str(book)], check=True, env=env,
                             capture_output=True, text=True).stdout
        rows.append((book.name, json.loads(out.strip().splitlines()[-1])))
    print(f"{'notebook':<36}{'wall s':>8}{'peak MiB':>10}{'budget s':>10}")
    for name, r in rows:
        flag = "" if r["seconds"] <= BUDGET_S else "  over budget"
        print(f"{name:<36}{r['seconds']:>8.1f}{r['peak_mib']:>10.0f}{BUDGET_S:>10}{flag}")
    total = sum(r["seconds"] for _, r in rows)
    print(f"{'total':<36}{total:>8.1f}{max(r['peak_mib'] for _, r in rows):>10.0f}{20 * 60:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
