"""``make models``: build (train and cache) every course model and print each build's time."""

from __future__ import annotations

import argparse
import time

from . import models


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rebuild", action="store_true", help="rebuild even if cached")
    parser.add_argument("--packaged", action="store_true",
                        help="also prepare the cached copies of packaged models (SmolLM2's float32 weights), "
                             "as an image for a classroom needs (binder/postBuild)")
    args = parser.parse_args(argv)
    models.load_recipes()
    start = time.perf_counter()
    rows = models.build_all(rebuild=args.rebuild)
    wall = time.perf_counter() - start
    print(f"\n{'course model':<28}{'seconds':>9}{'budget':>9}")
    for name, seconds, budget in rows:
        flag = "" if seconds <= budget else "  over budget"
        print(f"{name:<28}{seconds:>9.1f}{budget:>9.0f}{flag}")
    print(f"{'total':<28}{sum(r[1] for r in rows):>9.1f}{sum(r[2] for r in rows):>9.0f}")
    print(f"wall clock: {wall:.1f} s ({models.build_workers()} builds at a time; COURSE_BUILD_WORKERS=1 for one)")
    if args.packaged:
        print(f"SmolLM2-135M-Instruct float32 copy: {models.smollm2_path()}")
    print(f"cache: {models.cache_root()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
