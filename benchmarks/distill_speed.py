"""The distillation table of notebook 09, measured in one run: size, CPU speed and accuracy of the teacher
and its students, with ratios to the teacher beside the papers'.

Usage: python benchmarks/distill_speed.py [--threads N ...] [--repeats R]
Loads the course models (built on first use: about 2.5 minutes): ``course/distil-teacher`` (MiniLM
fine-tuned), ``course/distil-student`` (DistilBERT-style, half depth) and ``course/tiny-student``
(TinyBERT-style, half depth and half width), and trains the from-scratch baseline (the tiny architecture,
no teacher; about half a minute). Latency = median ms per sentence at batch 1 over 64 test sentences; throughput = sentences/s at
batch 32 over 8 batches; each is the best of R interleaved rounds (default 3), so load from other
processes slows every model alike. By default the table is printed for one thread and for torch's default
thread count (the number of usable cores). Accuracy: the 260 natural test sentences whose label hinges on
negation or contrast, and Pang & Lee's 200 real movie-review sentences.
The goal of issue 11: a student ≥ 2× faster than its teacher (latency at batch 1 *and* throughput at
batch 32) that keeps ≥ 90% of its accuracy on the test sentences.
"""

from __future__ import annotations

import argparse

import torch

from course_utils import distill as D
from course_utils import models
from course_utils.recipes import distil as recipe

NAMES = {"teacher (MiniLM, fine-tuned)": recipe.TEACHER, "DistilBERT-style student": recipe.STUDENT,
         "TinyBERT-style student": recipe.TINY}
PAPERS = [("DistilBERT vs BERT-base (Sanh et al. 2019)", "1.67× smaller (40%)", "1.6× faster (60%)", "97%"),
          ("TinyBERT-4 vs BERT-base (Jiao et al. 2020)", "7.5× smaller", "9.4× faster", "96.8%")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, D.default_threads()])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    loaded = {label: models.load(name, task="sequence-classification") for label, name in NAMES.items()}
    loaded["from-scratch student"] = recipe.train_scratch_student()[0]
    sets = recipe.task_sets()
    accuracy = {label: (D.accuracy(m, sets.test), D.accuracy(m, sets.reviews)) for label, m in loaded.items()}
    teacher = next(iter(NAMES))
    for threads in dict.fromkeys(args.threads):
        torch.set_num_threads(threads)
        rows = D.measure_models(loaded, sets.test, repeats=args.repeats)
        t = rows[teacher]
        print(f"\ntorch threads: {threads} (default here: {D.default_threads()}); best of {args.repeats} rounds")
        print(f"{'model':<30}{'params':>12}{'MiB':>7}{'ms b=1':>8}{'sent/s b=32':>13}{'test acc':>10}"
              f"{'reviews':>9} | {'smaller':>8}{'faster b=1':>11}{'faster b=32':>12}{'acc kept':>9}")
        for label, row in rows.items():
            acc, reviews = accuracy[label]
            print(f"{label:<30}{row['params']:>12,}{row['file_mib']:>7.1f}{row['latency_ms']:>8.2f}"
                  f"{row['throughput']:>13.0f}{acc:>10.3f}{reviews:>9.3f} | "
                  f"{t['params'] / row['params']:>7.2f}×{t['latency_ms'] / row['latency_ms']:>10.2f}×"
                  f"{row['throughput'] / t['throughput']:>11.2f}×{acc / accuracy[teacher][0]:>9.1%}")
        for label, row in rows.items():
            if label == teacher:
                continue
            lat, thr = t["latency_ms"] / row["latency_ms"], row["throughput"] / t["throughput"]
            kept = accuracy[label][0] / accuracy[teacher][0]
            verdict = "met" if min(lat, thr) >= 2 and kept >= 0.9 else "not met"
            print(f"goal (≥ 2× faster at batch 1 and 32, ≥ 90% accuracy) for {label}: {verdict} "
                  f"({lat:.2f}× / {thr:.2f}×, {kept:.1%})")
    print("\nthe papers (against BERT-base, GLUE):")
    for row in PAPERS:
        print(f"  {row[0]:<44} {row[1]:<22} {row[2]:<20} {row[3]} of the score kept")


if __name__ == "__main__":
    main()
