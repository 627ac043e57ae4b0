"""``course/ernie-mini``: ERNIE-style knowledge fusion in miniature, against a plain encoder (notebook 10).

One build trains, on the same data with the same steps, batch, sizes and seeds:

* TransE vectors of the course-world knowledge graph (``knowledge.build_triples``, every triple);
* for each seed in ``SEEDS``, a plain ``knowledge.KnowledgeEncoder`` and a fused one (the frozen TransE
  vectors fused into the token states of entity mentions, and scoring entity words in the head).

The task is fill-mask of the fact answers. Every third fact of each relation is never stated in the
training text (``knowledge.fusion_data``): the test asks for those facts, which only the knowledge graph
holds. ``results.json`` has each seed's accuracy on the stated facts and on the unstated ones; the
seed-0 encoders and the TransE table are saved beside it. Deterministic: fixed seeds, ``BUILD_THREADS``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..models import Card, Recipe, register_recipe

BUILD_THREADS = 1          # tiny models: one thread is as fast, and gives the same sums on every machine
SEEDS = (0, 1, 2)
SETTINGS: dict[str, Any] = dict(hidden=64, heads=2, ffn=256, steps=200, batch=32, lr=2e-3,
                                transe_dim=32, transe_steps=400, heldout_every=3)


def _encoder(vocab_size: int, entity_vectors: Any = None, vocab_entities: Any = None) -> Any:
    from .. import knowledge

    s = SETTINGS
    return knowledge.KnowledgeEncoder(vocab_size, hidden=s["hidden"], heads=s["heads"], ffn=s["ffn"],
                                      entity_vectors=entity_vectors, vocab_entities=vocab_entities)


def prepare() -> tuple[Any, Any, Any]:
    """(knowledge graph, fill-mask data, TransE trained on every triple), as the build makes them."""
    from .. import data, knowledge

    kg = knowledge.KnowledgeGraph(knowledge.build_triples())
    fd = knowledge.fusion_data(kg, data.course_corpus().facts, data.FACT_TEMPLATES, SETTINGS["heldout_every"])
    transe = knowledge.train_transe(kg, kg.triples, dim=SETTINGS["transe_dim"], steps=SETTINGS["transe_steps"])
    return kg, fd, transe


def build(folder: Path) -> None:
    import torch

    from .. import knowledge

    threads = torch.get_num_threads()
    torch.set_num_threads(BUILD_THREADS)
    try:
        kg, fd, transe = prepare()
        vectors = transe.entity.weight.detach()
        results: dict[str, Any] = {"settings": SETTINGS, "seeds": list(SEEDS), "n_train": len(fd.train),
                                   "n_test": len(fd.test), "runs": []}
        for seed in SEEDS:
            for kind in ("plain", "fused"):
                torch.manual_seed(seed)
                model = _encoder(len(fd.vocab), *((vectors, fd.vocab_entities) if kind == "fused" else ()))
                losses = knowledge.train_fill_mask(model, fd.train, steps=SETTINGS["steps"], batch=SETTINGS["batch"],
                                                   lr=SETTINGS["lr"], seed=seed)
                stated, unstated = knowledge.fill_mask_hits(model, fd.train), knowledge.fill_mask_hits(model, fd.test)
                results["runs"].append({"seed": seed, "kind": kind, "final_loss": losses[-1],
                                        "stated": sum(stated) / len(stated), "unstated": sum(unstated) / len(unstated),
                                        "unstated_hits": unstated})
                if seed == SEEDS[0]:
                    torch.save(model.state_dict(), folder / f"{kind}.pt")
    finally:
        torch.set_num_threads(threads)
    torch.save(vectors, folder / "transe_entities.pt")
    (folder / "results.json").write_text(json.dumps(results, indent=1))


def load_fused(folder: Path) -> Any:
    """The seed-0 fused encoder (its vocabulary and entity table rebuilt exactly as the build made them)."""
    import torch

    from .. import data, knowledge

    kg = knowledge.KnowledgeGraph(knowledge.build_triples())
    fd = knowledge.fusion_data(kg, data.course_corpus().facts, data.FACT_TEMPLATES, SETTINGS["heldout_every"])
    model = _encoder(len(fd.vocab), torch.load(folder / "transe_entities.pt"), fd.vocab_entities)
    model.load_state_dict(torch.load(folder / "fused.pt"))
    return model.eval()


def results(folder: Path) -> dict[str, Any]:
    """The build's ``results.json``: per seed and kind, accuracy on stated and unstated facts."""
    return json.loads((folder / "results.json").read_text())


register_recipe(Recipe(
    name="course/ernie-mini",
    version=1,
    build=build,
    loaders={"masked-lm": load_fused},
    card=Card("ERNIE-style fusion in miniature: a 2-layer, 64-wide word-level encoder with TransE vectors of the "
              "course-world knowledge graph fused into its entity mentions, and a plain twin without them, "
              f"each trained for {SETTINGS['steps']} steps on the course's fact sentences for seeds {list(SEEDS)}; "
              "results.json compares them on facts the text never states",
              "≈ 0.1M parameters each", "recipe course_utils.recipes.ernie_mini", "MIT (course)"),
    budget_s=90,
))
