"""``course/bert-wiki-ablations``: tiny BERTs pre-trained on real English text, differing in one setting each.

Notebook 05 reproduces, in miniature, three ablations of the papers: BERT's masking variants (Devlin et al.
2019, Table 8: [MASK] / same / random shares 80/10/10 vs 100/0/0), static vs dynamic masking
(Liu et al. 2019, RoBERTa, Table 1), and MLM + NSP vs MLM alone (RoBERTa, Table 2; here the inputs stay
the same sentence pairs and only the NSP loss is removed: ``course/bert-wiki-mlm-only``, the same build with
``MLM_ONLY_RUNS``; ``merge_runs`` joins the two). The course world's
templated stories would hide these effects, so the text is the Wikipedia sample (``data.wiki_split``).

Every run: the same WordPiece vocabulary (trained on the training articles), the same tiny BERT
(``SETTINGS``: 2 layers, width 64, 2 heads, FFN 256, pairs cut to 24 tokens), the same ``PAIRS`` sentence
pairs from the training articles' paragraphs (half IsNext, half NotNext, ``pretraining.nsp_pairs``), read
``SETTINGS["epochs"]`` times in batches of 32, AdamW with a warm-up and a linear decay. A run differs from the baseline
(``80/10/10``, dynamic masking, MLM + NSP) in exactly one setting (``RUNS``), and each is trained with the
seeds in ``SEEDS`` (initialisation, example order and masking draws). The data are read several times on
purpose: with one pass, static and dynamic masking would be the same thing.

Measured while writing this recipe (one thread): after these 225 steps every run still predicts the token
frequencies, the *unigram plateau* (held-out masked-LM accuracy equals that of always guessing the most
frequent token, about 5%, and NSP stays at chance). Runs of 150 steps at learning rates from 2e-3 to 1e-2,
at widths 64 and 128, and with a pre-LayerNorm encoder stayed there too; a 600-step run (32 pairs of 24
tokens) had just begun to leave it (training loss 6.15 against a unigram entropy of about 6.3). Longer runs do
not fit notebook 05's time budget (9 runs here and 3 in ``course/bert-wiki-mlm-only``; version 1 also trained
Table 8's 80/0/20 row, dropped in version 2 for time), so notebook 05 reports the plateau and what differs on it.

Deterministic: fixed seeds, one thread. Built once, cached; notebook 05 loads ``task="runs"``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F

from ..errors import CourseError
from ..models import Card, Recipe, register_recipe
from ..pretraining import MaskedBatch, PretrainingBatch, mask_tokens, mlm_nsp_loss

SETTINGS: dict[str, Any] = dict(
    vocab_size=2000, hidden=64, layers=2, heads=2, ffn=256, max_len=24,    # model and inputs
    pairs=2400, epochs=3, batch=32, lr=3e-3, warmup=30, weight_decay=0.01,  # data and optimisation
    mlm_probability=0.15,
)
SEEDS: tuple[int, ...] = (0, 1, 2)
# name -> (masking variant "[MASK]/same/random" in percent, dynamic masking?, NSP loss?)
RUNS: dict[str, tuple[str, bool, bool]] = {
    "80/10/10": ("80/10/10", True, True),      # the baseline: BERT's masking, dynamic, MLM + NSP
    "100/0/0": ("100/0/0", True, True),
    "static": ("80/10/10", False, True),
}
# RoBERTa, Table 2: the baseline's inputs without the NSP loss (its own recipe, course/bert-wiki-mlm-only,
# so that each build stays within 90 s and notebook 05's setup cell builds it beside the others)
MLM_ONLY_RUNS: dict[str, tuple[str, bool, bool]] = {"MLM only": ("80/10/10", True, False)}


# ----------------------------------------------------------------------------------------------
# the two things the runs vary: the masking variant, and when the mask is drawn (twin cells in notebook 05)
# ----------------------------------------------------------------------------------------------
def variant_shares(variant: str) -> tuple[float, float, float]:
    """'80/10/10' -> (0.8, 0.1, 0.1): the shares of the chosen tokens that become [MASK], stay the same and
    become a random token (the order of BERT's Table 8: MASK / SAME / RND)."""
    parts = variant.split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or sum(int(p) for p in parts) != 100:
        raise CourseError(f"a masking variant is three percentages that add up to 100, e.g. '80/10/10', got {variant!r}")
    mask, same, random_ = (int(p) / 100 for p in parts)
    return mask, same, random_


def variant_masking(input_ids: torch.Tensor, variant: str, *, mask_id: int, vocab_size: int,
                    special_ids: Sequence[int], generator: torch.Generator,
                    mlm_probability: float = 0.15) -> MaskedBatch:
    """BERT's masking (``mask_tokens``: choose ``mlm_probability`` of the positions) with the chosen
    positions split as ``variant`` says, e.g. '100/0/0' (always [MASK]) or '80/0/20' (never the same)."""
    mask, _, random_ = variant_shares(variant)
    return mask_tokens(input_ids, mask_id=mask_id, vocab_size=vocab_size, special_ids=special_ids,
                       mlm_probability=mlm_probability, mask_share=mask, random_share=random_,
                       generator=generator)


def masked_rows(data: torch.Tensor, rows: torch.Tensor, static_masks: MaskedBatch | None, variant: str, *,
                mask_id: int, vocab_size: int, special_ids: Sequence[int],
                generator: torch.Generator) -> MaskedBatch:
    """The masked inputs of the examples ``rows`` of ``data`` (N, T) for one training step.

    Static masking (BERT's data pipeline): every example was masked once, before training
    (``static_masks``), and each epoch reads that same mask. Dynamic masking (RoBERTa §4.1,
    ``static_masks`` None): a new mask is drawn every time an example is read."""
    if static_masks is not None:
        return MaskedBatch(static_masks.input_ids[rows], static_masks.labels[rows], static_masks.kinds[rows])
    return variant_masking(data[rows], variant, mask_id=mask_id, vocab_size=vocab_size, special_ids=special_ids,
                           generator=generator)


# ----------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------
def train_tokenizer(settings: dict[str, Any] = SETTINGS):
    """A WordPiece vocabulary trained on every other sentence of the training articles (half the time)."""
    from ..data import wiki_split
    from ..pretraining import train_wordpiece

    return train_wordpiece([s for a in wiki_split("train") for s in a.sentences][::2], settings["vocab_size"])


def paragraphs(split: str) -> list[list[str]]:
    """The paragraphs with at least two sentences of the ``split`` articles (each a list of sentences)."""
    from ..data import wiki_split

    return [p for a in wiki_split(split) for p in a.paragraphs if len(p) >= 2]


def pretraining_pairs(settings: dict[str, Any] = SETTINGS) -> list[tuple[str, str, int]]:
    """``settings["pairs"]`` NSP pairs (0 IsNext, 1 NotNext) from the training articles, a fixed sample."""
    from ..pretraining import nsp_pairs

    pairs = nsp_pairs(paragraphs("train"), random.Random(0))
    random.Random(1).shuffle(pairs)
    return pairs[:settings["pairs"]]


def encode_pairs(tokenizer: Any, pairs: Sequence[tuple[str, str, int]], max_len: int) -> dict[str, torch.Tensor]:
    """``[CLS] A [SEP] B [SEP]`` cut to ``max_len`` tokens (the longer sentence loses tokens first), padded."""
    enc = tokenizer([a for a, _, _ in pairs], [b for _, b, _ in pairs], truncation="longest_first",
                    max_length=max_len, padding="max_length", return_tensors="pt")
    return {"input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"],
            "attention_mask": enc["attention_mask"], "labels": torch.tensor([label for _, _, label in pairs])}


def config(vocab_size: int, settings: dict[str, Any] = SETTINGS):
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=settings["hidden"], num_hidden_layers=settings["layers"],
                      num_attention_heads=settings["heads"], intermediate_size=settings["ffn"],
                      max_position_embeddings=64)


# ----------------------------------------------------------------------------------------------
# one run
# ----------------------------------------------------------------------------------------------
def pretrain_run(tokenizer: Any, data: dict[str, torch.Tensor], variant: str, dynamic: bool, nsp: bool, seed: int,
                 settings: dict[str, Any] = SETTINGS, desc: str = "pre-training") -> tuple[Any, list[float]]:
    """Pre-train a fresh ``BertForPreTraining`` on ``data`` (from ``encode_pairs``) for ``settings["epochs"]``
    epochs; returns the model (eval mode) and its MLM loss per step. Only ``variant``, ``dynamic`` and
    ``nsp`` (train the NSP head, or give every pair the label -100) change between runs; ``seed`` sets the
    initialisation, the order of the examples in each epoch and the masking draws."""
    from transformers import BertForPreTraining

    from ..train import fit

    torch.manual_seed(seed)
    model = BertForPreTraining(config(len(tokenizer), settings))
    generator = torch.Generator().manual_seed(seed)
    special = tokenizer.all_special_ids
    ids = data["input_ids"]                                                        # (N, T)
    n, size = ids.shape[0], settings["batch"]
    static_masks = None if dynamic else variant_masking(
        ids, variant, mask_id=tokenizer.mask_token_id, vocab_size=len(tokenizer), special_ids=special,
        generator=generator, mlm_probability=settings["mlm_probability"])
    steps_per_epoch = n // size
    steps = steps_per_epoch * settings["epochs"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings["lr"], weight_decay=settings["weight_decay"])
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / settings["warmup"]) * max(0.05, 1 - s / steps))
    order = torch.arange(n)
    pair_labels = data["labels"] if nsp else torch.full_like(data["labels"], -100)

    def step(i: int) -> dict[str, float]:
        nonlocal order
        if i % steps_per_epoch == 0:
            order = torch.randperm(n, generator=generator)
        rows = order[(i % steps_per_epoch) * size:(i % steps_per_epoch + 1) * size]  # (B,)
        width = int(data["attention_mask"][rows].sum(1).max())                        # drop padding-only columns
        masked = masked_rows(ids, rows, static_masks, variant, mask_id=tokenizer.mask_token_id,
                             vocab_size=len(tokenizer), special_ids=special, generator=generator)
        batch = PretrainingBatch(ids[rows][:, :width], masked.input_ids[:, :width],
                                 data["token_type_ids"][rows][:, :width], data["attention_mask"][rows][:, :width],
                                 masked.labels[:, :width], pair_labels[rows])
        loss, mlm, pair = mlm_nsp_loss(model.bert, model.cls.predictions, model.cls.seq_relationship, batch)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        return {"loss": loss.item(), "mlm": mlm.item()}

    model.train()
    history = fit(step, steps, desc=desc)
    model.eval()
    return model, history.extras["mlm"]


def run_name(name: str, seed: int) -> str:
    """The folder of one run, e.g. ``80-10-10-seed0`` or ``mlm-only-seed2``."""
    return f"{name.replace('/', '-').replace(' ', '-').lower()}-seed{seed}"


def build(folder: Path, settings: dict[str, Any] = SETTINGS, runs: dict[str, tuple[str, bool, bool]] = RUNS,
          seeds: Sequence[int] = SEEDS) -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tokenizer = train_tokenizer(settings)
        data = encode_pairs(tokenizer, pretraining_pairs(settings), settings["max_len"])
        histories = {}
        for seed in seeds:
            for name, (variant, dynamic, nsp) in runs.items():
                model, losses = pretrain_run(tokenizer, data, variant, dynamic, nsp, seed, settings,
                                             desc=f"{name}, seed {seed}")
                model.save_pretrained(folder / run_name(name, seed))
                histories[run_name(name, seed)] = losses
    finally:
        torch.set_num_threads(threads)
    tokenizer.save_pretrained(folder)
    (folder / "runs.json").write_text(json.dumps({"runs": {k: list(v) for k, v in runs.items()},
                                                  "seeds": list(seeds), "settings": settings}))
    torch.save(histories, folder / "history.pt")


class AblationRuns(NamedTuple):
    tokenizer: Any
    models: dict[tuple[str, int], Any]          # (run name, seed) -> BertForPreTraining (eval mode)
    histories: dict[tuple[str, int], list[float]]  # (run name, seed) -> MLM loss per step
    runs: dict[str, tuple[str, bool, bool]]     # run name -> (variant, dynamic, NSP)
    seeds: tuple[int, ...]


def load_runs(folder: Path) -> AblationRuns:
    from transformers import BertForPreTraining, BertTokenizerFast

    spec = json.loads((folder / "runs.json").read_text())
    runs = {k: tuple(v) for k, v in spec["runs"].items()}
    seeds = tuple(spec["seeds"])
    histories = torch.load(folder / "history.pt")
    models = {(r, s): BertForPreTraining.from_pretrained(folder / run_name(r, s)).eval() for s in seeds for r in runs}
    return AblationRuns(BertTokenizerFast.from_pretrained(folder), models,
                        {(r, s): histories[run_name(r, s)] for s in seeds for r in runs}, runs, seeds)


def merge_runs(first: AblationRuns, second: AblationRuns) -> AblationRuns:
    """The runs of two ablation recipes as one set (``first``'s runs, then ``second``'s). Both must share the
    tokenizer and the seeds, as recipes built by ``build`` with the same ``SETTINGS`` do."""
    if first.tokenizer.get_vocab() != second.tokenizer.get_vocab() or first.seeds != second.seeds:
        raise CourseError("these ablation runs do not share a vocabulary and seeds; rebuild them with the same SETTINGS")
    overlap = set(first.runs) & set(second.runs)
    if overlap:
        raise CourseError(f"both sets hold the runs {sorted(overlap)}")
    return AblationRuns(first.tokenizer, {**first.models, **second.models}, {**first.histories, **second.histories},
                        {**first.runs, **second.runs}, first.seeds)


# ----------------------------------------------------------------------------------------------
# downstream measures (notebook 05)
# ----------------------------------------------------------------------------------------------
class ArticleTask(NamedTuple):
    """Which held-out article does a sentence come from? Sentences alternate between train and test."""

    titles: list[str]
    train_texts: list[str]
    train_labels: torch.Tensor
    test_texts: list[str]
    test_labels: torch.Tensor


def article_task(min_sentences: int = 50, cap: int = 120) -> ArticleTask:
    """The held-out articles with at least ``min_sentences`` sentences, each cut to its first ``cap``;
    even-numbered sentences train, odd ones test (so both come from every part of each article)."""
    from ..data import wiki_split

    articles = [a for a in wiki_split("heldout") if len(a.sentences) >= min_sentences]
    train, test = ([], []), ([], [])
    for label, article in enumerate(articles):
        for i, sentence in enumerate(article.sentences[:cap]):
            target = train if i % 2 == 0 else test
            target[0].append(sentence)
            target[1].append(label)
    return ArticleTask([a.title for a in articles], train[0], torch.tensor(train[1]), test[0], torch.tensor(test[1]))


def pooled(hidden: torch.Tensor, attention_mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """A sentence vector (B, H) from the last layer (B, T, H): the ``"cls"`` position's vector, or the
    ``"mean"`` of the real tokens' vectors (padding excluded)."""
    if pooling == "cls":
        return hidden[:, 0]                                                    # (B, H)
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)                    # (B, T, 1)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1)                  # (B, H)


@torch.no_grad()
def sentence_features(encoder: Any, enc: dict[str, torch.Tensor], pooling: str) -> torch.Tensor:
    """Frozen sentence vectors (N, H) of tokenised sentences ``enc``."""
    encoder.eval()
    hidden = encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
    return pooled(hidden, enc["attention_mask"], pooling)


def probe_accuracy(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor) -> float:
    """Feature-based: a logistic regression on frozen (standardised) vectors; accuracy on the test rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    clf.fit(train_x.numpy(), train_y.numpy())
    return float((clf.predict(test_x.numpy()) == test_y.numpy()).mean())


def fine_tune_accuracy(encoder: Any, train_enc: dict[str, torch.Tensor], train_y: torch.Tensor,
                       test_enc: dict[str, torch.Tensor], test_y: torch.Tensor, *, pooling: str = "mean",
                       epochs: int = 4, batch: int = 32, lr: float = 1e-3, seed: int = 0) -> float:
    """Fine-tuning: a copy of ``encoder`` plus a linear layer on its pooled vector, every weight trained
    (AdamW, linear decay) for ``epochs``; accuracy on the test rows."""
    import copy

    torch.manual_seed(seed)
    model = copy.deepcopy(encoder)
    head = torch.nn.Linear(model.config.hidden_size, int(train_y.max()) + 1)
    params = [p for name, p in model.named_parameters() if not name.startswith("pooler")] + list(head.parameters())
    n = len(train_y)
    steps = epochs * ((n + batch - 1) // batch)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 - s / steps)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch):
            rows = order[start:start + batch]
            mask = train_enc["attention_mask"][rows]
            width = int(mask.sum(1).max())
            hidden = model(input_ids=train_enc["input_ids"][rows][:, :width],
                           attention_mask=mask[:, :width]).last_hidden_state            # (B, T, H)
            loss = F.cross_entropy(head(pooled(hidden, mask[:, :width], pooling)), train_y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    model.eval()
    with torch.no_grad():
        logits = head(sentence_features(model, test_enc, pooling))                       # (N, labels)
    return float((logits.argmax(-1) == test_y).float().mean())


@torch.no_grad()
def masked_lm_guesses(model: Any, enc: dict[str, torch.Tensor], tokenizer: Any, *,
                      seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(guesses, answers), each (M,): the MLM head's top-1 token and the original token at the M positions
    that one fixed BERT masking (15%, 80/10/10, seeded) chooses in the tokenised sentences ``enc``; the
    same positions for every model."""
    masked = mask_tokens(enc["input_ids"], mask_id=tokenizer.mask_token_id, vocab_size=len(tokenizer),
                         special_ids=tokenizer.all_special_ids, generator=torch.Generator().manual_seed(seed))
    hidden = model.bert(input_ids=masked.input_ids, attention_mask=enc["attention_mask"]).last_hidden_state  # (N, T, H)
    chosen = masked.labels != -100                                                         # (N, T)
    return model.cls.predictions(hidden[chosen]).argmax(-1), masked.labels[chosen]         # (M,), (M,)


@torch.no_grad()
def unmasked_token_accuracy(model: Any, enc: dict[str, torch.Tensor], special_ids: Sequence[int]) -> float:
    """The MLM head's top-1 accuracy on the *unmasked* input: how often the last layer's vector of a token
    still says which token it is. Pre-training with 100/0/0 masking never asks for this."""
    hidden = model.bert(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state  # (N, T, H)
    real = (enc["attention_mask"] == 1) & ~torch.isin(enc["input_ids"], torch.tensor(list(special_ids)))   # (N, T)
    guesses = model.cls.predictions(hidden[real]).argmax(-1)                               # (M,)
    return float((guesses == enc["input_ids"][real]).float().mean())


@torch.no_grad()
def nsp_accuracy(model: Any, pairs: dict[str, torch.Tensor]) -> float:
    """NSP accuracy of a ``BertForPreTraining`` on sentence pairs encoded by ``encode_pairs`` (0 = IsNext)."""
    logits = model(input_ids=pairs["input_ids"], token_type_ids=pairs["token_type_ids"],
                   attention_mask=pairs["attention_mask"]).seq_relationship_logits        # (N, 2)
    return float((logits.argmax(-1) == pairs["labels"]).float().mean())


T_975 = {2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571}   # Student's t, 97.5% quantile, by degrees of freedom


def seed_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, low, high): the mean over seeds and its 95% t-interval (n - 1 degrees of freedom)."""
    import statistics

    if len(values) - 1 not in T_975:
        raise CourseError(f"seed_interval needs 3 to 6 values, got {len(values)}")
    mean = statistics.fmean(values)
    half = T_975[len(values) - 1] * statistics.stdev(values) / len(values) ** 0.5
    return mean, mean - half, mean + half


register_recipe(Recipe(
    name="course/bert-wiki-ablations",
    version=2,
    build=build,
    loaders={"runs": load_runs},
    card=Card("9 tiny BERTs (2 layers, width 64) pre-trained with MLM + NSP on 2,400 Wikipedia sentence pairs "
              "(24 tokens) × 3 epochs: BERT's masking 80/10/10 vs 100/0/0, and static vs dynamic masking; "
              "seeds 0, 1, 2; everything else equal",
              "9 × ≈ 0.24M parameters", "recipe course_utils.recipes.wiki_masking", "MIT (course); text CC BY-SA "
              "(Wikipedia, via gensim's test data)"),
    budget_s=70,
))


def build_mlm_only(folder: Path) -> None:
    build(folder, runs=MLM_ONLY_RUNS)


register_recipe(Recipe(
    name="course/bert-wiki-mlm-only",
    version=1,
    build=build_mlm_only,
    loaders={"runs": load_runs},
    card=Card("3 tiny BERTs: course/bert-wiki-ablations' 80/10/10 runs without the NSP loss (RoBERTa's Table 2 "
              "in miniature); seeds 0, 1, 2", "3 × ≈ 0.24M parameters", "recipe course_utils.recipes.wiki_masking",
              "MIT (course); text CC BY-SA (Wikipedia, via gensim's test data)"),
    budget_s=30,
))
