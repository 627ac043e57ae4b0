"""``course/distil-teacher`` and its students ``course/distil-student`` and ``course/tiny-student``
(notebook 09, knowledge distillation).

* **the task** — sentiment. Labelled: the course's natural review sentences (``data.natural_sentiment``,
  644) plus 1,000 templated course sentences (``course_corpus().sentiment_train``), whose labels hinge on
  negation and contrast. Transfer set: those 1,644 plus 1,000 further templated sentences *without* their
  labels — the teacher labels them. Augmented set (TinyBERT's data augmentation): the transfer set plus
  ``N_AUGMENTED`` copies of each natural training sentence with words swapped for GloVe neighbours
  (``distill.augment``), also labelled by the teacher. Tests: the 260 natural sentences in which negation
  or contrast decides the label and the keywords point the wrong way (``natural_sentiment("test")``),
  and, as real out-of-domain text, Pang & Lee's 200 movie-review sentences.
* **the teacher** — the real pretrained MiniLM (6 layers, hidden 384, 12 heads) with mean pooling and a
  linear layer, fine-tuned on the labelled set. Its outputs on the augmented set (logits, hidden states,
  attention maps) are computed once per process and shared by every student (the augmented set begins
  with the transfer set, so the same targets serve both); the logits are saved too.
* **the students** — ``distil-student``: DistilBERT-style, layers 0, 2, 4 of the teacher, trained on the
  transfer set with 5·L_ce(T = 2) + 2·L_task + 1·L_cos; the same recipe runs the ablation (each term
  removed, 3 seeds) and saves it as ``ablation.json``. ``tiny-student``: TinyBERT-style, 3 layers of width
  192 (12 heads), embeddings from the teacher's by truncated SVD, layer distillation (hidden MSE through
  W_h, attention MSE) then prediction distillation, both on the augmented set. ``train_scratch_student`` trains
  the baseline where it is needed (not cached): the tiny architecture, random init, labels only.

Every build runs on ``BUILD_THREADS`` threads with fixed seeds; the word-embedding tables are frozen
(copied from the teacher, or its SVD), which halves the cost of a step.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..models import Card, Recipe, ensure_built, register_recipe

TEACHER = "course/distil-teacher"
STUDENT = "course/distil-student"
TINY = "course/tiny-student"

MAX_LENGTH = 48
N_TEMPLATED_LABELLED = 1000
N_TEMPLATED_TRANSFER = 1000
N_AUGMENTED = 8                                 # copies per natural training sentence (TinyBERT makes 20)
AUGMENT_P, AUGMENT_K = 0.4, 15                  # TinyBERT's p_t and K
BUILD_THREADS = 2                               # the course's machines have 2 cores (DESIGN.md, "Time budget")
TEACHER_STEPS, TEACHER_LR = 60, 1e-4
STUDENT_STEPS, STUDENT_LR = 20, 4e-4
ABLATION_SEEDS = (0, 1, 2)
ABLATION_TERMS = ("ce", "task", "cos")
TINY_HIDDEN, TINY_LAYERS = 192, 3
TINY_LAYER_MAP = {0: 0, 1: 2, 2: 4, 3: 6}      # student layer m -> teacher layer g(m) = 2m (0 = embeddings)
TINY_INTERMEDIATE_STEPS, TINY_LAYER_LR = 250, 2e-3
TINY_PREDICTION_STEPS, TINY_PREDICTION_LR = 250, 1e-3
SCRATCH_STEPS = TINY_PREDICTION_STEPS
TINY_TEMPERATURE = 1.0                          # TinyBERT's prediction-layer loss works well at t = 1
BATCH = 32


@dataclass
class TaskSets:
    """The encoded sentences every model of notebook 09 uses (MiniLM's WordPiece tokenizer)."""

    labelled: Any      # EncodedSet: natural train + templated, with labels
    transfer: Any      # EncodedSet: labelled + templated sentences without labels (-100)
    augmented: Any     # EncodedSet: transfer + GloVe-augmented natural sentences (no labels); begins with transfer
    test: Any          # EncodedSet: natural test (negation / contrast decide the label)
    reviews: Any       # EncodedSet: Pang & Lee's 200 real movie-review sentences


@lru_cache(maxsize=1)
def task_sets() -> TaskSets:
    """Build (once per process) the labelled, transfer, augmented and test sets."""
    from .. import data, models
    from ..distill import augment, encode

    tok = tokenizer()
    templated = data.course_corpus().sentiment_train
    labelled_rows = data.natural_sentiment("train") + templated[:N_TEMPLATED_LABELLED]
    labelled = encode(tok, [x.text for x in labelled_rows], [x.label for x in labelled_rows],
                      max_length=MAX_LENGTH)
    extra = templated[N_TEMPLATED_LABELLED:N_TEMPLATED_LABELLED + N_TEMPLATED_TRANSFER]
    transfer = labelled + encode(tok, [x.text for x in extra], max_length=MAX_LENGTH)
    natural = [x.text for x in data.natural_sentiment("train")]
    glove = models.load(models.GLOVE, task="vectors")
    augmented = transfer + encode(tok, augment(natural, glove, copies=N_AUGMENTED, p=AUGMENT_P, k=AUGMENT_K, seed=0),
                                  max_length=MAX_LENGTH)
    test_rows = data.natural_sentiment("test")
    test = encode(tok, [x.text for x in test_rows], [x.label for x in test_rows], max_length=MAX_LENGTH)
    review_rows = data.pang_lee_polarity()
    reviews = encode(tok, [x.text for x in review_rows], [x.label for x in review_rows], max_length=MAX_LENGTH)
    return TaskSets(labelled, transfer, augmented, test, reviews)


@contextmanager
def build_threads() -> Iterator[None]:
    """Run torch on ``BUILD_THREADS`` threads inside the block (restored after): a fixed count keeps a build's
    result the same on every machine (the order of floating-point sums depends on it)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(BUILD_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def tokenizer() -> Any:
    """MiniLM's WordPiece tokenizer (the bert-base-uncased vocabulary), from the packaged copy."""
    from transformers import AutoTokenizer

    from ..models import minilm_path

    return AutoTokenizer.from_pretrained(minilm_path())


def _write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, indent=1) + "\n")


# ----------------------------------------------------------------------------------------------
# the teacher and its cached outputs
# ----------------------------------------------------------------------------------------------
_TARGETS: dict[str, Any] = {}   # teacher folder -> TeacherTargets, shared by the student builds of a process


def _teacher_targets(teacher: Any) -> Any:
    from ..distill import teacher_targets

    return teacher_targets(teacher, task_sets().augmented, hidden_layers=sorted(set(TINY_LAYER_MAP.values())),
                           attention_layers=sorted(g for m, g in TINY_LAYER_MAP.items() if m >= 1))


def build_teacher(folder: Path) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import BertModel

    from ..distill import SentenceClassifier, fine_tune
    from ..models import _quiet_transformers, minilm_path

    _quiet_transformers()
    with build_threads():
        torch.manual_seed(0)
        encoder = BertModel.from_pretrained(minilm_path(), add_pooling_layer=False, attn_implementation="eager")
        teacher = SentenceClassifier(encoder, num_labels=2)
        teacher.bert.embeddings.word_embeddings.weight.requires_grad_(False)
        history = fine_tune(teacher, task_sets().labelled, steps=TEACHER_STEPS, lr=TEACHER_LR, batch_size=BATCH,
                            desc=f"fine-tuning {TEACHER}")
        teacher.save_pretrained(folder)
        targets = _teacher_targets(teacher)
        save_file({"logits": targets.logits.contiguous()}, str(folder / "transfer_logits.safetensors"))
        _write_json(folder / "results.json", {"losses": history.losses})
    _TARGETS[str(TEACHER_RECIPE.folder())] = targets


def load_teacher_for_students() -> tuple[Any, Any]:
    """The frozen teacher and its outputs on the augmented set (computed once per process; the augmented set
    begins with the transfer set, so they serve the DistilBERT-style student too)."""
    from ..distill import SentenceClassifier, freeze

    folder = ensure_built(TEACHER)
    teacher = freeze(SentenceClassifier.from_pretrained(folder))
    if str(folder) not in _TARGETS:
        with build_threads():
            _TARGETS[str(folder)] = _teacher_targets(teacher)
    return teacher, _TARGETS[str(folder)]


def _forget_targets_if(other_student: str) -> None:
    """Drop the teacher's cached outputs (about 0.8 GB of hidden states and attention maps) once the other
    student is built too: nothing else reads them."""
    from ..models import RECIPES

    if (RECIPES[other_student].folder() / "DONE").exists():
        _TARGETS.clear()


def transfer_logits() -> Any:
    """The teacher's logits (N, 2) on ``task_sets().augmented``, as saved by its build (the first
    ``len(task_sets().transfer)`` rows are the transfer set's)."""
    from safetensors.torch import load_file

    return load_file(str(ensure_built(TEACHER) / "transfer_logits.safetensors"))["logits"]


# ----------------------------------------------------------------------------------------------
# the students
# ----------------------------------------------------------------------------------------------
def train_distil_student(teacher: Any, targets: Any, weights: Any, seed: int) -> tuple[Any, Any]:
    """One DistilBERT-style run: layers 0, 2, 4 of the teacher, trained on the transfer set with ``weights``."""
    from ..distill import distil, half_depth_student

    student = half_depth_student(teacher)
    student.bert.embeddings.word_embeddings.weight.requires_grad_(False)   # as copied from the teacher
    history = distil(student, task_sets().transfer, targets, weights=weights, steps=STUDENT_STEPS, lr=STUDENT_LR,
                     batch_size=BATCH, seed=seed, desc=f"distilling (seed {seed})")
    return student, history


def build_distil_student(folder: Path) -> None:
    from ..distill import LossWeights, accuracy

    teacher, targets = load_teacher_for_students()
    full = LossWeights()
    variants = {"all terms": full, **{f"without L_{t}": full.without(t) for t in ABLATION_TERMS}}
    results: dict[str, list[float]] = {}   # variant -> test accuracy of each seed
    with build_threads():
        for name, weights in variants.items():
            for seed in ABLATION_SEEDS:
                student, history = train_distil_student(teacher, targets, weights, seed)
                results.setdefault(name, []).append(accuracy(student, task_sets().test))
                if name == "all terms" and seed == 0:
                    student.save_pretrained(folder)
                    _write_json(folder / "results.json", {"losses": history.losses,
                                                          "terms": history.extras})
    _write_json(folder / "ablation.json", {
        "seeds": list(ABLATION_SEEDS), "steps": STUDENT_STEPS,
        "weights": {"ce": full.ce, "task": full.task, "cos": full.cos, "temperature": full.temperature},
        "test_accuracy": results})
    _forget_targets_if(TINY)


def tiny_student_start(teacher: Any) -> tuple[Any, Any]:
    """The TinyBERT-style student before training: random layers, SVD embeddings (frozen), W_h = Vᵀ."""
    import torch

    from ..distill import HiddenProjection, init_embeddings_by_svd, narrow_student

    student = narrow_student(teacher.config, hidden_size=TINY_HIDDEN, num_layers=TINY_LAYERS, seed=0)
    basis = init_embeddings_by_svd(student, teacher)                              # (384, 192)
    student.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    projection = HiddenProjection(TINY_HIDDEN, teacher.config.hidden_size)
    with torch.no_grad():
        projection.linear.weight.copy_(basis)                                    # maps the SVD basis back
        projection.linear.bias.zero_()
    return student, projection


LAYER_STAGE = "after-layer-distillation"   # subfolder: the tiny student between its two stages


def build_tiny_student(folder: Path) -> None:
    from ..distill import LossWeights, distil, distil_intermediate, layer_distances, teacher_targets

    teacher, targets = load_teacher_for_students()
    augmented, test = task_sets().augmented, task_sets().test
    layer_kw = {"layer_map": TINY_LAYER_MAP}
    with build_threads():
        test_targets = teacher_targets(teacher, test, hidden_layers=sorted(set(TINY_LAYER_MAP.values())),
                                       attention_layers=sorted(g for m, g in TINY_LAYER_MAP.items() if m >= 1),
                                       progress=False)
        student, projection = tiny_student_start(teacher)
        distances = {"start": layer_distances(student, projection, test, test_targets, **layer_kw)}
        layers = distil_intermediate(student, projection, augmented, targets, steps=TINY_INTERMEDIATE_STEPS, lr=TINY_LAYER_LR,
                                     batch_size=BATCH, desc="TinyBERT layer distillation", **layer_kw)
        distances["after layer distillation"] = layer_distances(student, projection, test, test_targets, **layer_kw)
        student.save_pretrained(folder / LAYER_STAGE)
        prediction = distil(student, augmented, targets,
                            weights=LossWeights(ce=1.0, task=0.0, cos=0.0, temperature=TINY_TEMPERATURE),
                            steps=TINY_PREDICTION_STEPS, lr=TINY_PREDICTION_LR, batch_size=BATCH,
                            desc="TinyBERT prediction distillation")
        distances["after prediction distillation"] = layer_distances(student, projection, test, test_targets,
                                                                     **layer_kw)
        student.save_pretrained(folder)
        _write_json(folder / "results.json", {"layer_losses": layers.losses,
                                              "layer_terms": layers.extras, "losses": prediction.losses,
                                              "test_layer_distances": distances})
    _forget_targets_if(STUDENT)


def tiny_after_layer_stage() -> Any:
    """The TinyBERT-style student between its stages (layer distillation done, predictions not yet)."""
    return load_classifier(ensure_built(TINY) / LAYER_STAGE)


def train_scratch_student(steps: int | None = None, *, desc: str = "training from scratch") -> tuple[Any, Any]:
    """The tiny architecture from random initialisation, trained on the labelled sentences only (no teacher):
    ``SCRATCH_STEPS`` steps (as many as the prediction stage of the tiny student) with the tiny student's
    learning rate, batch and seed. Trained where it is needed (notebook 09, the benchmark), not cached: it
    is a baseline, not a student. Returns the model and its history."""
    from transformers import AutoConfig

    from ..distill import fine_tune, narrow_student
    from ..models import minilm_path

    with build_threads():   # no teacher: only MiniLM's configuration (vocabulary, heads, positions) is used
        student = narrow_student(AutoConfig.from_pretrained(minilm_path()), hidden_size=TINY_HIDDEN,
                                 num_layers=TINY_LAYERS, seed=0)
        history = fine_tune(student, task_sets().labelled, steps=SCRATCH_STEPS if steps is None else steps,
                            lr=TINY_PREDICTION_LR, batch_size=BATCH, desc=desc)
    return student, history


# ----------------------------------------------------------------------------------------------
# loaders and registration
# ----------------------------------------------------------------------------------------------
def load_classifier(folder: Path) -> Any:
    from ..distill import SentenceClassifier

    return SentenceClassifier.from_pretrained(folder)


def load_encoder(folder: Path) -> Any:
    from transformers import BertModel

    return BertModel.from_pretrained(folder, add_pooling_layer=False, attn_implementation="eager").eval()


def load_tokenizer(folder: Path) -> Any:
    return tokenizer()


def read_results(name: str, file: str = "results.json") -> dict:
    """A course model's saved training record (``results.json``: losses, and the tiny student's layer distances;
    ``ablation.json``: the distil-student's loss ablation). Accuracies are measured where they are shown."""
    return json.loads((ensure_built(name) / file).read_text())


LOADERS = {"sequence-classification": load_classifier, "encoder": load_encoder, "tokenizer": load_tokenizer}
_LICENSE = "Apache-2.0 (MiniLM weights) / MIT (course)"
_DATA = ("sentiment_natural.tsv",)   # the natural sentences every model here learns from

TEACHER_RECIPE = register_recipe(Recipe(
    name=TEACHER, version=2, data_files=_DATA, build=build_teacher, loaders=LOADERS, budget_s=55, threads=BUILD_THREADS,
    card=Card("all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads) with mean pooling and a linear layer, fine-tuned "
              f"{TEACHER_STEPS} steps on the course's sentiment sentences (natural + templated)",
              "22.6M parameters", "recipe course_utils.recipes.distil", _LICENSE),
))
register_recipe(Recipe(
    name=STUDENT, version=3, data_files=_DATA, build=build_distil_student, loaders=LOADERS, budget_s=55, threads=BUILD_THREADS,
    card=Card("DistilBERT-style student of course/distil-teacher: its layers 0, 2, 4 (hidden 384), distilled "
              f"{STUDENT_STEPS} steps with 5·L_ce(T=2) + 2·L_task + 1·L_cos; the folder also holds the loss "
              "ablation (ablation.json)", "17.2M parameters", "recipe course_utils.recipes.distil", _LICENSE),
))
register_recipe(Recipe(
    name=TINY, version=3, data_files=_DATA, build=build_tiny_student, loaders=LOADERS, budget_s=40, threads=BUILD_THREADS,
    card=Card("TinyBERT-style student of course/distil-teacher: 3 layers, hidden 192, 12 heads, SVD-initialised "
              "embeddings; layer distillation (hidden MSE through W_h, attention MSE) then prediction "
              "distillation", "7.3M parameters", "recipe course_utils.recipes.distil", _LICENSE),
))
