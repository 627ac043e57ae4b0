"""``course/bert-mask-rates``: short bert-mini runs that differ only in the mask rate (notebook 05).

Why does BERT mask 15% of the tokens? Each run here is ``course/bert-mini``'s architecture and vocabulary
(2 layers, width 128, 2 heads, FFN 512), trained from scratch with the masked LM only (BERT's 80/10/10
inside the chosen positions) by ``pretraining.pretrain``, the loop notebook 05 teaches, on the single
sentences of the course corpus's training stories. The runs differ in the share of tokens chosen
(``RATES``) and in the seed (``SEEDS``: model initialisation, example order and masking draws); the data,
the number of steps and every other setting are the same. Notebook 05 scores every run at one fixed
evaluation masking (15%, the same positions for every model) on the held-out stories.

Sizes: ``RATES`` × ``SEEDS`` = 8 runs of 150 steps of 32 sentences (about 10 tokens each). Single
sentences rather than bert-mini's sentence pairs keep each step cheap, so a run gets past the stage
where a masked LM only predicts frequent tokens (after 150 steps of 64 sentence pairs, as bert-mini
reads them, every rate was still there: about 15% held-out accuracy). Version 1 ran 300 steps (seed 0:
24% at a 5% rate, 43% at 15%, 73% at 40%, 59% at 80%); version 2 halves that to fit notebook 08's
first-run budget (notebook 08 prints what the built runs reach). Deterministic: fixed seeds, one thread.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ..models import Card, Recipe, register_recipe

RATES: tuple[float, ...] = (0.05, 0.15, 0.40, 0.80)
SEEDS: tuple[int, ...] = (0, 1)
SETTINGS: dict[str, Any] = dict(
    batch=32, steps=150, lr=3e-3, warmup=40, floor=0.05, weight_decay=0.01, answer_mask=0.0,
)


class MaskRateRuns(NamedTuple):
    tokenizer: Any                            # course/bert-mini's WordPiece vocabulary
    models: dict[tuple[float, int], Any]      # (rate, seed) -> BertForMaskedLM
    histories: dict[tuple[float, int], list[float]]   # (rate, seed) -> MLM loss per step (at its own rate)


def run_name(rate: float, seed: int) -> str:
    """The folder of one run, e.g. ``rate15-seed0``."""
    return f"rate{round(rate * 100):02d}-seed{seed}"


def sentence_examples(tokenizer: Any, seed: int) -> list[Any]:
    """Every sentence of the training stories as an MLM-only example (no pair, no NSP label), in an
    order shuffled by ``seed``."""
    from ..data import course_corpus
    from .bert_mini import Example

    examples = []
    for _, story in course_corpus().stories_train:
        for sentence in story:
            enc = tokenizer(sentence)
            examples.append(Example(enc["input_ids"], enc["token_type_ids"], -100, -1))
    random.Random(seed).shuffle(examples)
    return examples


def heldout_mlm(model: Any, tokenizer: Any, sentences: Sequence[str], *, mlm_probability: float = 0.15,
                seeds: Sequence[int] = (0, 1, 2), max_length: int = 64) -> dict[str, float]:
    """Masked-LM top-1 accuracy and cross-entropy on ``sentences`` at one fixed evaluation masking (BERT's
    15%, 80/10/10; the draws are fixed by ``seeds``, so every model is asked about the same positions).
    Returns ``accuracy``, ``loss`` (mean over the chosen positions) and ``n`` (how many were chosen)."""
    import torch
    import torch.nn.functional as F

    from ..errors import CourseError
    from ..pretraining import mask_tokens

    if not sentences:
        raise CourseError("no sentences given")
    enc = tokenizer(list(sentences), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    right = total = 0
    loss_sum = 0.0
    model.eval()
    for seed in seeds:
        masked = mask_tokens(enc["input_ids"], mask_id=tokenizer.mask_token_id, vocab_size=len(tokenizer),
                             special_ids=tokenizer.all_special_ids, mlm_probability=mlm_probability,
                             generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            out = model(input_ids=masked.input_ids, attention_mask=enc["attention_mask"])
        logits = out.logits if hasattr(out, "logits") else out.prediction_logits           # (N, T, V)
        chosen = masked.labels != -100                                                       # (N, T)
        right += int((logits[chosen].argmax(-1) == masked.labels[chosen]).sum())
        loss_sum += float(F.cross_entropy(logits[chosen], masked.labels[chosen], reduction="sum"))
        total += int(chosen.sum())
    return {"accuracy": right / total, "loss": loss_sum / total, "n": total}


def build(folder: Path) -> None:
    import torch
    from transformers import BertForPreTraining

    from ..pretraining import pretrain
    from . import bert_mini

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tokenizer = bert_mini.train_tokenizer()
        histories = {}
        for seed in SEEDS:
            examples = sentence_examples(tokenizer, seed)
            for rate in RATES:
                torch.manual_seed(seed)
                model = BertForPreTraining(bert_mini.config(len(tokenizer)))
                settings = {**bert_mini.SETTINGS, **SETTINGS, "mlm_probability": rate, "seed": seed}
                history = pretrain(model, tokenizer, examples, SETTINGS["steps"], settings,
                                   desc=f"mask rate {rate:.0%}, seed {seed}")
                model.save_pretrained(folder / run_name(rate, seed))
                histories[run_name(rate, seed)] = history.extras["mlm"]
    finally:
        torch.set_num_threads(threads)
    tokenizer.save_pretrained(folder)
    torch.save(histories, folder / "history.pt")


def load_runs(folder: Path) -> MaskRateRuns:
    import torch
    from transformers import BertForMaskedLM, BertTokenizerFast

    histories = torch.load(folder / "history.pt")
    runs = {(r, s): BertForMaskedLM.from_pretrained(folder / run_name(r, s)).eval() for s in SEEDS for r in RATES}
    return MaskRateRuns(BertTokenizerFast.from_pretrained(folder), runs,
                        {(r, s): histories[run_name(r, s)] for s in SEEDS for r in RATES})


register_recipe(Recipe(
    name="course/bert-mask-rates",
    version=2,
    build=build,
    loaders={"runs": load_runs},
    card=Card("8 short masked-LM runs of bert-mini's architecture on the course stories' sentences, mask rate "
              "5 / 15 / 40 / 80% × seeds 0 and 1, 150 steps of 32 sentences each (everything else equal)",
              "8 × ≈ 0.59M parameters", "recipe course_utils.recipes.mask_rate", "MIT (course)"),
    budget_s=60,
))
