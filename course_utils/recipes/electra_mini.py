"""``course/electra-mini`` and its controlled MLM-only baseline ``course/electra-mini-mlm`` (notebook 08).

* ``course/electra-mini`` — ELECTRA pre-training (replaced token detection, Clark et al. 2020) on the English
  course corpus: a generator of 1/4 the discriminator's width fills 15% [MASK]ed positions by sampling;
  the discriminator (2 layers, hidden 128, 2 heads, FFN 512, the same sizes as ``course/bert-mini``) labels
  every token original/replaced; loss L_MLM + 50·L_Disc. It is the local stand-in of
  ``google/electra-small-discriminator``. Tasks: ``pretraining`` (the discriminator,
  ``ElectraForPreTraining``), ``encoder`` (its ``ElectraModel``), ``masked-lm`` (the generator) and
  ``tokenizer``.
* ``course/electra-mini-mlm`` — BERT's objective (masked LM only, 80/10/10 masking) on an encoder with
  exactly the discriminator's sizes, the same data, batches, learning rate and seed, trained for the same
  number of pre-training FLOPs: its step count is ELECTRA's times the measured ratio of FLOPs per step
  (ELECTRA's step also runs the generator and scores every token). Tasks: ``masked-lm``, ``encoder``,
  ``tokenizer``.

Each run saves checkpoints at 1/4, 1/2 and all of its steps (``step-<n>/``) so that one run gives three
budget points; ``run.json`` records steps, FLOPs and the loss history. Deterministic (fixed seeds, a fixed
batch order); one thread.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..models import Card, Recipe, register_recipe

ELECTRA_STEPS = 500       # the MLM baseline's steps follow from the FLOPs ratio (``mlm_steps``)
FLOP_BATCHES = 8          # FLOPs per step: the mean over the first 8 batches (same batches for both runs)


def settings():
    from ..electra import ElectraSettings

    return ElectraSettings(steps=ELECTRA_STEPS)


def tokenizer_and_data():
    """The WordPiece tokenizer of the English course corpus (1,200 tokens) and the batches of every run."""
    from ..data import course_corpus
    from ..electra import PretrainingData
    from ..pretraining import train_wordpiece

    s = settings()
    sentences = course_corpus().sentences(english_only=True)
    tokenizer = train_wordpiece(sentences, s.vocab_size)
    return tokenizer, PretrainingData(tokenizer, sentences, batch_size=s.batch, max_len=s.max_len, seed=s.seed)


def step_functions(tokenizer, generator=None, discriminator=None, mlm=None):
    """``step(ids, attention, rng)`` for ELECTRA and for the MLM baseline, bound to the models given."""
    from .. import electra as el

    kw = dict(mask_id=tokenizer.mask_token_id, special_ids=sorted(set(tokenizer.all_special_ids)),
              vocab_size=len(tokenizer), mask_probability=settings().mask_probability)
    return (lambda ids, attention, rng: el.electra_step(generator, discriminator, ids, attention, rng=rng,
                                                       disc_weight=settings().disc_weight, **kw),
            lambda ids, attention, rng: el.mlm_step(mlm, ids, attention, rng=rng, **kw))


def flops_per_step(tokenizer, data) -> dict[str, float]:
    """Training FLOPs of one ELECTRA step and one MLM step (forward + backward, mean over the first
    ``FLOP_BATCHES`` batches), counted on freshly built models: they do not depend on the weights."""
    import torch

    from .. import electra as el

    s = settings()
    generator, discriminator = el.build_electra(s, len(tokenizer))
    electra_step, mlm_step = step_functions(tokenizer, generator, discriminator, el.build_mlm(s, len(tokenizer)))
    totals = {"electra": 0, "mlm": 0}
    for name, step in (("electra", electra_step), ("mlm", mlm_step)):
        rng = torch.Generator().manual_seed(s.seed)
        for i in range(FLOP_BATCHES):
            ids, attention = data.batch(i)
            totals[name] += el.step_flops(lambda s=step, i=ids, a=attention, r=rng: s(i, a, r))
    return {name: total / FLOP_BATCHES for name, total in totals.items()}


def mlm_steps(flops: dict[str, float]) -> int:
    """The MLM baseline's steps: ELECTRA's steps × (ELECTRA FLOPs per step / MLM FLOPs per step)."""
    return round(ELECTRA_STEPS * flops["electra"] / flops["mlm"])


def checkpoints(steps: int) -> list[int]:
    return [steps // 4, steps // 2, steps]


def _write_run(folder: Path, **info: Any) -> None:
    (folder / "run.json").write_text(json.dumps(info, indent=1))


def build_electra(folder: Path) -> None:
    import torch

    from .. import electra as el

    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # a model this small gains nothing from threads, and loses a lot on a busy CPU
    try:
        start = time.perf_counter()
        s = settings()
        tokenizer, data = tokenizer_and_data()
        flops = flops_per_step(tokenizer, data)
        generator, discriminator = el.build_electra(s, len(tokenizer))
        electra_step, _ = step_functions(tokenizer, generator, discriminator)

        def save(step: int) -> None:
            discriminator.save_pretrained(folder / f"step-{step}" / "discriminator")
            generator.save_pretrained(folder / f"step-{step}" / "generator")

        history = el.pretrain([generator, discriminator], electra_step, data, s.steps, lr=s.lr, warmup=s.warmup,
                              seed=s.seed, checkpoint_at=checkpoints(s.steps), on_checkpoint=save,
                              desc="pre-training course/electra-mini")
    finally:
        torch.set_num_threads(threads)
    tokenizer.save_pretrained(folder)
    _write_run(folder, objective="electra", steps=s.steps, checkpoints=checkpoints(s.steps),
               flops_per_step=flops["electra"], settings=s.as_dict(), seconds=time.perf_counter() - start,
               losses={"total": history.losses, "mlm": history.extras["mlm"], "disc": history.extras["disc"],
                       "replaced_share": history.extras["replaced_share"]})


def build_mlm(folder: Path) -> None:
    import torch

    from .. import electra as el

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        start = time.perf_counter()
        s = settings()
        tokenizer, data = tokenizer_and_data()
        flops = flops_per_step(tokenizer, data)
        steps = mlm_steps(flops)
        model = el.build_mlm(s, len(tokenizer))
        _, mlm_step = step_functions(tokenizer, mlm=model)
        history = el.pretrain([model], mlm_step, data, steps, lr=s.lr, warmup=s.warmup, seed=s.seed,
                              checkpoint_at=checkpoints(steps),
                              on_checkpoint=lambda step: model.save_pretrained(folder / f"step-{step}" / "mlm"),
                              desc="pre-training course/electra-mini-mlm")
    finally:
        torch.set_num_threads(threads)
    tokenizer.save_pretrained(folder)
    _write_run(folder, objective="mlm", steps=steps, checkpoints=checkpoints(steps), flops_per_step=flops["mlm"],
               electra_flops_per_step=flops["electra"], settings=s.as_dict(),
               seconds=time.perf_counter() - start, losses={"total": history.losses, "mlm": history.losses})


def final_step(folder: Path) -> int:
    return json.loads((folder / "run.json").read_text())["steps"]


def _loader(cls_name: str, part: str | None):
    def load(folder: Path):
        import transformers

        if cls_name == "BertTokenizerFast":
            return transformers.BertTokenizerFast.from_pretrained(folder)
        return getattr(transformers, cls_name).from_pretrained(folder / f"step-{final_step(folder)}" / part).eval()

    return load


register_recipe(Recipe(
    name="course/electra-mini",
    version=2,
    build=build_electra,
    loaders={"tokenizer": _loader("BertTokenizerFast", None),
             "pretraining": _loader("ElectraForPreTraining", "discriminator"),
             "encoder": _loader("ElectraModel", "discriminator"),
             "masked-lm": _loader("ElectraForMaskedLM", "generator")},
    card=Card("a small ELECTRA (discriminator: 2 layers, hidden 128, 2 heads, FFN 512; generator 1/4 as wide, "
              "sharing the embeddings; WordPiece vocabulary of 1,200) pre-trained by replaced token detection "
              f"(L_MLM + 50·L_Disc) on the English course corpus for {ELECTRA_STEPS} steps of 64 sentences; "
              "checkpoints at 1/4, 1/2 and all of the steps",
              "discriminator ≈ 0.57M parameters, generator ≈ 0.2M (with the shared embeddings)",
              "recipe course_utils.recipes.electra_mini", "MIT (course)"),
    budget_s=100,
))
register_recipe(Recipe(
    name="course/electra-mini-mlm",
    version=2,
    build=build_mlm,
    loaders={"tokenizer": _loader("BertTokenizerFast", None),
             "masked-lm": _loader("ElectraForMaskedLM", "mlm"),
             "encoder": _loader("ElectraModel", "mlm")},
    card=Card("the MLM-only baseline of course/electra-mini: BERT's masked LM (80/10/10) on an encoder with "
              "exactly the discriminator's sizes, the same data, batches and seed, trained for the same "
              "pre-training FLOPs; checkpoints at 1/4, 1/2 and all of the steps",
              "≈ 0.58M parameters", "recipe course_utils.recipes.electra_mini", "MIT (course)"),
    budget_s=80,
))
