"""Pre-training comparisons on real English text (notebooks 07 and 08): tiny models, several seeds.

The course world's templated stories cannot show three pre-training claims (DESIGN.md, "The course
corpus"), so these recipes pre-train on the Wikipedia sample of ``data.wiki_split("train")`` (92
articles, paragraphs of sentences) and are measured on the ten held-out articles:

* ``course/wiki-wordpiece`` — a lower-casing WordPiece vocabulary of ``SETTINGS["vocab_size"]`` tokens
  trained on the training articles (``pretraining.train_wordpiece``), shared by every run below.
* ``course/wiki-bert-nsp``, ``course/wiki-bert-sop`` — a tiny BERT (``BertForPreTraining``) pre-trained with
  MLM + NSP or MLM + SOP on the same consecutive-sentence pairs: NSP's negatives take B from *another
  article* (so topic gives them away, as in BERT), SOP's negatives swap A and B (ALBERT §3.2).
* ``course/wiki-albert-sop`` — the same model with ALBERT's two parameter reductions (a V×E table with
  E = ``SETTINGS["embedding"]`` and an E×H projection; every layer sharing one set of weights), trained
  exactly like ``course/wiki-bert-sop``: the ALBERT-vs-BERT comparison changes only the architecture.
* ``course/wiki-minilm-sentences`` — no training: the cached sentence embeddings of all-MiniLM-L6-v2 (a real
  pre-trained encoder) for the pairs that notebook 07's pair heads read (``head_training_pairs``,
  ``heldout_pairs``), to ask what NSP and SOP heads learn from an encoder that already knows English.
* ``course/wiki-electra``, ``course/wiki-electra-mlm`` — ELECTRA (replaced token detection, a generator
  1/4 as wide) and its MLM-only control on an encoder of the discriminator's sizes, on single training
  sentences; the control's step count is ELECTRA's times the measured FLOPs ratio, so both spend the
  same pre-training FLOPs (as ``course/electra-mini`` does on the course corpus).

Each recipe trains one model per seed of ``SEEDS`` into ``seed-<s>/`` (the seed sets the initial
weights, the example order and the masking draws); everything else is the same across recipes. The
loop is ``pretraining.pretrain`` (BERT/ALBERT) or ``electra.pretrain`` (ELECTRA); one thread;
deterministic.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import CourseError
from ..models import Card, Recipe, register_recipe

SEEDS = (0, 1, 2)
SETTINGS: dict[str, Any] = dict(
    vocab_size=2000, hidden=64, layers=2, heads=2, ffn=256, embedding=32, max_len=48,   # model and inputs
    batch=32, steps=240, lr=3e-3, warmup=24, floor=0.05, weight_decay=0.01,              # optimisation
    mlm_probability=0.15, answer_mask=0.0, dropout=0.0,     # masking (no salient spans); no dropout in runs this short
)
ELECTRA_STEPS = 240       # the MLM control's steps follow from the FLOPs ratio (``mlm_steps``)
FLOP_BATCHES = 4          # FLOPs per step: the mean over the first batches (the same for both runs)
PAIR_TASKS = ("NSP", "SOP")


# ----------------------------------------------------------------------------------------------
# data: the training articles, sentence pairs, the tokenizer
# ----------------------------------------------------------------------------------------------
def sentences(split: str = "train") -> list[str]:
    """Every sentence of the ``split`` articles, in order."""
    from ..data import wiki_split

    return [s for article in wiki_split(split) for s in article.sentences]


def wiki_pairs(articles: Sequence[Any], task: str, rng: random.Random) -> list[tuple[str, str, int]]:
    """(A, B, label) for every two consecutive sentences of a paragraph of ``articles``; label 0 = coherent.

    ``task="NSP"``: half keep B (IsNext), half replace B by a random sentence of *another article*
    (NotNext, label 1): topic alone often tells them apart. ``task="SOP"``: half keep the order, half
    swap A and B (label 1): the same two sentences, so only their order tells. The k-th pair of either
    task is made from the k-th two consecutive sentences (NSP's draws of another article also use ``rng``,
    so the two tasks' coin flips differ)."""
    if task not in PAIR_TASKS:
        raise CourseError(f"task must be one of {PAIR_TASKS}, got {task!r}")
    if len(articles) < 2:
        raise CourseError("NSP negatives come from another article: give at least two articles")
    pairs = []
    for i, article in enumerate(articles):
        for paragraph in article.paragraphs:
            for a, b in zip(paragraph, paragraph[1:], strict=False):
                negative = rng.random() >= 0.5
                if not negative:
                    pairs.append((a, b, 0))
                elif task == "SOP":
                    pairs.append((b, a, 1))
                else:
                    k = rng.randrange(len(articles) - 1)
                    k = k + 1 if k >= i else k                      # any article but this one
                    pairs.append((a, rng.choice(articles[k].sentences), 1))
    return pairs


def train_tokenizer(settings: dict[str, Any] = SETTINGS) -> Any:
    """The WordPiece vocabulary of the training articles (``pretraining.train_wordpiece``)."""
    from ..pretraining import train_wordpiece

    return train_wordpiece(sentences("train"), settings["vocab_size"])


def tokenizer() -> Any:
    """``course/wiki-wordpiece``'s tokenizer (built once, cached)."""
    from ..models import load

    return load("course/wiki-wordpiece", task="tokenizer")


def pair_examples(tok: Any, task: str, seed: int, settings: dict[str, Any] = SETTINGS) -> list[Any]:
    """Tokenised training pairs of ``task`` in a fixed shuffled order (``seed``), as ``bert_mini.Example``."""
    from ..data import wiki_split
    from .bert_mini import Example

    rng = random.Random(seed)
    pairs = wiki_pairs(wiki_split("train"), task, rng)
    enc = tok([a for a, _, _ in pairs], [b for _, b, _ in pairs], truncation=True, max_length=settings["max_len"])
    examples = [Example(ids, types, label, -1) for ids, types, (_, _, label)
                in zip(enc["input_ids"], enc["token_type_ids"], pairs, strict=True)]
    rng.shuffle(examples)
    return examples


# ----------------------------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------------------------
def bert_config(vocab_size: int, settings: dict[str, Any] = SETTINGS) -> Any:
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=settings["hidden"], num_hidden_layers=settings["layers"],
                      num_attention_heads=settings["heads"], intermediate_size=settings["ffn"],
                      max_position_embeddings=64, hidden_dropout_prob=settings["dropout"],
                      attention_probs_dropout_prob=settings["dropout"])


def albert_config(vocab_size: int, settings: dict[str, Any] = SETTINGS) -> Any:
    """``bert_config`` with ALBERT's factorised embeddings (E = ``settings["embedding"]``) and all layers shared."""
    from transformers import AlbertConfig

    bert = bert_config(vocab_size, settings)
    return AlbertConfig(
        vocab_size=vocab_size, embedding_size=settings["embedding"], hidden_size=bert.hidden_size,
        num_hidden_layers=bert.num_hidden_layers, num_hidden_groups=1, inner_group_num=1,
        num_attention_heads=bert.num_attention_heads, intermediate_size=bert.intermediate_size,
        hidden_act=bert.hidden_act, hidden_dropout_prob=bert.hidden_dropout_prob,
        attention_probs_dropout_prob=bert.attention_probs_dropout_prob,
        classifier_dropout_prob=bert.hidden_dropout_prob, layer_norm_eps=bert.layer_norm_eps,
        initializer_range=bert.initializer_range, max_position_embeddings=bert.max_position_embeddings,
        type_vocab_size=bert.type_vocab_size, pad_token_id=0, bos_token_id=None, eos_token_id=None)


def albert_heads(model: Any) -> tuple[Any, Any, Any]:
    """(encoder, MLM head, sentence-order head) of an ``AlbertForPreTraining``."""
    return model.albert, model.predictions, model.sop_classifier


# the three BERT/ALBERT variants: (architecture, pair task)
VARIANTS = {"bert-nsp": ("bert", "NSP"), "bert-sop": ("bert", "SOP"), "albert-sop": ("albert", "SOP")}


def pretrain_pairs(variant: str, seed: int, tok: Any, settings: dict[str, Any] = SETTINGS,
                   steps: int | None = None) -> tuple[Any, Any]:
    """Pre-train one ``VARIANTS`` model with MLM + its pair task from seed ``seed``: (model, history)."""
    import torch
    from transformers import AlbertForPreTraining, BertForPreTraining

    from ..pretraining import bert_heads, pretrain

    if variant not in VARIANTS:
        raise CourseError(f"variant must be one of {sorted(VARIANTS)}, got {variant!r}")
    architecture, task = VARIANTS[variant]
    torch.manual_seed(seed)
    if architecture == "bert":
        model, heads = BertForPreTraining(bert_config(len(tok), settings)), bert_heads
    else:
        model, heads = AlbertForPreTraining(albert_config(len(tok), settings)), albert_heads
    examples = pair_examples(tok, task, seed, settings)
    history = pretrain(model, tok, examples, steps or settings["steps"], dict(settings, seed=seed),
                       desc=f"wiki {variant}, seed {seed}", heads=heads, pair_task=task.lower())
    return model, history


def _one_thread():
    import torch

    class OneThread:
        def __enter__(self):
            self.threads = torch.get_num_threads()
            torch.set_num_threads(1)   # tiny models gain nothing from threads, and lose a lot on a busy CPU

        def __exit__(self, *exc):
            torch.set_num_threads(self.threads)

    return OneThread()


def _build_pairs(variant: str):
    def build(folder: Path) -> None:
        import torch

        tok = tokenizer()
        info: dict[str, Any] = {"variant": variant, "settings": SETTINGS, "seeds": list(SEEDS), "seconds": {}}
        with _one_thread():
            for seed in SEEDS:
                start = time.perf_counter()
                model, history = pretrain_pairs(variant, seed, tok)
                model.save_pretrained(folder / f"seed-{seed}")
                info["seconds"][seed] = time.perf_counter() - start
                torch.save({"losses": history.losses, **history.extras}, folder / f"seed-{seed}" / "history.pt")
        tok.save_pretrained(folder)
        (folder / "run.json").write_text(json.dumps(info, indent=1))

    return build


# ----------------------------------------------------------------------------------------------
# ELECTRA vs MLM at equal FLOPs
# ----------------------------------------------------------------------------------------------
def electra_settings(seed: int = 0, vocab_size: int | None = None) -> Any:
    from ..electra import ElectraSettings

    s = SETTINGS
    return ElectraSettings(vocab_size=vocab_size or s["vocab_size"], hidden=s["hidden"], layers=s["layers"],
                           heads=s["heads"], embedding=s["hidden"], generator_fraction=0.25, max_len=s["max_len"],
                           batch=s["batch"], steps=ELECTRA_STEPS, lr=s["lr"], warmup=s["warmup"],
                           mask_probability=s["mlm_probability"], seed=seed)


def electra_data(tok: Any, seed: int) -> Any:
    """The training sentences in ``electra.PretrainingData`` batches, in the order of ``seed``."""
    from ..electra import PretrainingData

    s = SETTINGS
    return PretrainingData(tok, sentences("train"), batch_size=s["batch"], max_len=s["max_len"], seed=seed)


def step_functions(tok: Any, settings: Any, generator=None, discriminator=None, mlm=None):
    """``step(ids, attention, rng)`` for ELECTRA and for the MLM control, bound to the models given."""
    from .. import electra as el

    kw = dict(mask_id=tok.mask_token_id, special_ids=sorted(set(tok.all_special_ids)), vocab_size=len(tok),
              mask_probability=settings.mask_probability)
    return (lambda ids, attention, rng: el.electra_step(generator, discriminator, ids, attention, rng=rng,
                                                       disc_weight=settings.disc_weight, **kw),
            lambda ids, attention, rng: el.mlm_step(mlm, ids, attention, rng=rng, **kw))


def flops_per_step(tok: Any, data: Any) -> dict[str, float]:
    """Training FLOPs (forward + backward) of one ELECTRA step and one MLM step, the mean over the first
    ``FLOP_BATCHES`` batches, counted on fresh models (FLOPs do not depend on the weights)."""
    import torch

    from .. import electra as el

    s = electra_settings(0, len(tok))
    generator, discriminator = el.build_electra(s, len(tok))
    electra_step, mlm_step = step_functions(tok, s, generator, discriminator, el.build_mlm(s, len(tok)))
    totals = {"electra": 0, "mlm": 0}
    for name, step in (("electra", electra_step), ("mlm", mlm_step)):
        rng = torch.Generator().manual_seed(0)
        for i in range(FLOP_BATCHES):
            ids, attention = data.batch(i)
            totals[name] += el.step_flops(lambda s=step, i=ids, a=attention, r=rng: s(i, a, r))
    return {name: total / FLOP_BATCHES for name, total in totals.items()}


def mlm_steps(flops: dict[str, float], electra_steps: int = ELECTRA_STEPS) -> int:
    """The MLM control's steps: ELECTRA's steps × (ELECTRA FLOPs per step / MLM FLOPs per step)."""
    return round(electra_steps * flops["electra"] / flops["mlm"])


def pretrain_electra(objective: str, seed: int, tok: Any, flops: dict[str, float],
                     electra_steps: int = ELECTRA_STEPS) -> tuple[dict[str, Any], Any, int]:
    """Pre-train ELECTRA (``objective="electra"``) or its MLM control (``"mlm"``) from seed ``seed`` on the
    training sentences: ({part: model}, history, steps). The control runs ``mlm_steps(flops)`` steps."""
    from .. import electra as el

    s = electra_settings(seed, len(tok))
    data = electra_data(tok, seed)
    if objective == "electra":
        generator, discriminator = el.build_electra(s, len(tok))
        step, _ = step_functions(tok, s, generator, discriminator)
        parts, steps = {"generator": generator, "discriminator": discriminator}, electra_steps
    elif objective == "mlm":
        model = el.build_mlm(s, len(tok))
        _, step = step_functions(tok, s, mlm=model)
        parts, steps = {"mlm": model}, mlm_steps(flops, electra_steps)
    else:
        raise CourseError(f"objective must be 'electra' or 'mlm', got {objective!r}")
    history = el.pretrain(list(parts.values()), step, data, steps, lr=s.lr, warmup=s.warmup, seed=seed,
                          desc=f"wiki {objective}, seed {seed}")
    return parts, history, steps


def _build_electra(objective: str):
    def build(folder: Path) -> None:
        tok = tokenizer()
        with _one_thread():
            flops = flops_per_step(tok, electra_data(tok, 0))
            info: dict[str, Any] = {"objective": objective, "seeds": list(SEEDS), "flops": flops,
                                    "electra_steps": ELECTRA_STEPS, "settings": electra_settings().as_dict(),
                                    "seconds": {}, "losses": {}}
            for seed in SEEDS:
                start = time.perf_counter()
                parts, history, steps = pretrain_electra(objective, seed, tok, flops)
                for part, model in parts.items():
                    model.save_pretrained(folder / f"seed-{seed}" / part)
                info["steps"] = steps
                info["seconds"][seed] = time.perf_counter() - start
                info["losses"][seed] = {"total": history.losses, **history.extras}
        info["flops_per_step"] = flops[objective]
        tok.save_pretrained(folder)
        (folder / "run.json").write_text(json.dumps(info))

    return build


# ----------------------------------------------------------------------------------------------
# loading and evaluation
# ----------------------------------------------------------------------------------------------
_PARTS = {  # (recipe, task) -> (transformers class, sub-folder of seed-<s>)
    ("course/wiki-bert-nsp", "pretraining"): ("BertForPreTraining", ""),
    ("course/wiki-bert-sop", "pretraining"): ("BertForPreTraining", ""),
    ("course/wiki-albert-sop", "pretraining"): ("AlbertForPreTraining", ""),
    ("course/wiki-electra", "pretraining"): ("ElectraForPreTraining", "discriminator"),
    ("course/wiki-electra", "encoder"): ("ElectraModel", "discriminator"),
    ("course/wiki-electra", "masked-lm"): ("ElectraForMaskedLM", "generator"),
    ("course/wiki-electra-mlm", "encoder"): ("ElectraModel", "mlm"),
    ("course/wiki-electra-mlm", "masked-lm"): ("ElectraForMaskedLM", "mlm"),
}


def load_seed(name: str, seed: int, task: str = "pretraining") -> Any:
    """The model of recipe ``name`` pre-trained from ``seed`` (one of ``SEEDS``), in eval mode."""
    import transformers

    from ..models import ensure_built

    if (name, task) not in _PARTS:
        raise CourseError(f"{name!r} has no task {task!r}; known: {sorted(_PARTS)}")
    if seed not in SEEDS:
        raise CourseError(f"{name!r} was pre-trained from the seeds {SEEDS}, not {seed}")
    cls_name, part = _PARTS[name, task]
    return getattr(transformers, cls_name).from_pretrained(ensure_built(name) / f"seed-{seed}" / part).eval()


def run_info(name: str) -> dict[str, Any]:
    """``run.json`` of a recipe of this module: settings, seeds, build seconds (and FLOPs, steps, losses)."""
    from ..models import ensure_built

    return json.loads((ensure_built(name) / "run.json").read_text())


@lru_cache(maxsize=4)
def heldout_pairs(task: str, seed: int = 1) -> tuple[tuple[str, str, int], ...]:
    """NSP or SOP pairs from the held-out articles (NSP negatives from another held-out article)."""
    from ..data import wiki_split

    return tuple(wiki_pairs(wiki_split("heldout"), task, random.Random(seed)))


def masked_heldout(tok: Any, seed: int = 0, max_len: int | None = None) -> tuple[Any, Any, Any]:
    """The held-out sentences, tokenised and padded, with 15% of the non-special tokens replaced by [MASK]
    (all of them: no 80/10/10), fixed by ``seed``: (masked input_ids, attention_mask, labels with -100
    where nothing was masked)."""
    import torch

    from ..pretraining import mask_tokens

    enc = tok(sentences("heldout"), truncation=True, max_length=max_len or SETTINGS["max_len"], padding=True,
              return_tensors="pt")
    masked = mask_tokens(enc["input_ids"], mask_id=tok.mask_token_id, vocab_size=len(tok),
                         special_ids=sorted(set(tok.all_special_ids)), mlm_probability=SETTINGS["mlm_probability"],
                         mask_share=1.0, random_share=0.0, generator=torch.Generator().manual_seed(seed))
    return masked.input_ids, enc["attention_mask"], masked.labels


def mlm_scores(model: Any, masked: tuple[Any, Any, Any], batch: int = 256) -> tuple[int, int, float]:
    """(correct, total, mean cross-entropy): top-1 predictions of a masked LM (``*ForPreTraining`` or
    ``*ForMaskedLM``) at the masked positions of ``masked_heldout``, and its loss there (nats per token)."""
    import torch
    import torch.nn.functional as F

    ids, attention, labels = masked
    correct = total = 0
    loss = 0.0
    model.eval()
    with torch.no_grad():
        for start in range(0, ids.shape[0], batch):
            out = model(input_ids=ids[start:start + batch], attention_mask=attention[start:start + batch])
            logits = out.prediction_logits if hasattr(out, "prediction_logits") else out.logits   # (B, T, V)
            y = labels[start:start + batch]                                                        # (B, T)
            chosen = y != -100
            correct += int((logits[chosen].argmax(-1) == y[chosen]).sum())
            loss += float(F.cross_entropy(logits[chosen], y[chosen], reduction="sum"))
            total += int(chosen.sum())
    return correct, total, loss / max(1, total)


def topic_task(min_sentences: int = 50, per_article: int = 40) -> tuple[list[tuple[str, int]], list[tuple[str, int]], list[str]]:
    """Sentence → source article over the held-out articles with at least ``min_sentences`` sentences:
    (train, test, titles). Paragraphs alternate between train and test (even paragraphs train), so no
    paragraph is split; each article gives at most ``per_article`` sentences to each side."""
    from ..data import wiki_split

    articles = [a for a in wiki_split("heldout") if len(a.sentences) >= min_sentences]
    train, test = [], []
    for label, article in enumerate(articles):
        sides: tuple[list[str], list[str]] = ([], [])
        for i, paragraph in enumerate(article.paragraphs):
            sides[i % 2].extend(paragraph)
        train += [(s, label) for s in sides[0][:per_article]]
        test += [(s, label) for s in sides[1][:per_article]]
    return train, test, [a.title for a in articles]


# ----------------------------------------------------------------------------------------------
# pair heads on a real pre-trained encoder: all-MiniLM-L6-v2's sentence embeddings (notebook 07)
# ----------------------------------------------------------------------------------------------
HEAD_PAIRS = 400          # training pairs per task and seed for the pair heads on MiniLM's embeddings


def head_training_pairs(seed: int) -> dict[str, list[tuple[str, str, int]]]:
    """``HEAD_PAIRS`` training pairs per task for seed ``seed``: the same positions of ``wiki_pairs``'s NSP
    and SOP lists (so made from the same consecutive sentences), disjoint between the seeds of ``SEEDS``."""
    from ..data import wiki_split

    if seed not in SEEDS:
        raise CourseError(f"seed must be one of {SEEDS}, got {seed}")
    articles = wiki_split("train")
    pairs = {task: wiki_pairs(articles, task, random.Random(0)) for task in PAIR_TASKS}
    order = random.Random(0).sample(range(len(pairs["NSP"])), HEAD_PAIRS * len(SEEDS))
    chosen = order[SEEDS.index(seed) * HEAD_PAIRS:(SEEDS.index(seed) + 1) * HEAD_PAIRS]
    return {task: [pairs[task][i] for i in chosen] for task in PAIR_TASKS}


def pair_features(embeddings: dict[str, Any], pairs: Sequence[tuple[str, str, int]]) -> tuple[Any, Any]:
    """(features, labels) of sentence pairs from the sentence embeddings u of A and v of B: [u, v, u·v, |u − v|]
    (element-wise; the usual features of a classifier over two sentence embeddings)."""
    import numpy as np

    u = np.stack([embeddings[a] for a, _, _ in pairs])                       # (N, C)
    v = np.stack([embeddings[b] for _, b, _ in pairs])                       # (N, C)
    return np.concatenate([u, v, u * v, np.abs(u - v)], axis=1), np.array([label for *_, label in pairs])


def minilm_embeddings() -> dict[str, Any]:
    """{sentence: all-MiniLM-L6-v2 embedding (mean-pooled, 384 numbers)} for every sentence of
    ``head_training_pairs`` and ``heldout_pairs`` (``course/wiki-minilm-sentences``, built once)."""
    import numpy as np

    from ..models import ensure_built

    folder = ensure_built("course/wiki-minilm-sentences")
    texts = json.loads((folder / "sentences.json").read_text())
    matrix = np.load(folder / "embeddings.npy")
    return dict(zip(texts, matrix, strict=True))


def _build_minilm(folder: Path) -> None:
    import numpy as np
    import torch
    from tqdm.auto import tqdm

    from ..models import MINILM, load

    encoder, tok = load(MINILM, task="encoder"), load(MINILM, task="tokenizer")
    needed = {s for task in PAIR_TASKS for a, b, _ in heldout_pairs(task) for s in (a, b)}
    for seed in SEEDS:
        needed |= {s for pairs in head_training_pairs(seed).values() for a, b, _ in pairs for s in (a, b)}
    texts = sorted(needed)
    rows = []
    with _one_thread(), torch.no_grad():
        for start in tqdm(range(0, len(texts), 128), desc="MiniLM sentence embeddings", leave=False):
            enc = tok(texts[start:start + 128], padding=True, truncation=True, max_length=64, return_tensors="pt")
            hidden = encoder(**enc).last_hidden_state                               # (B, T, 384)
            weights = enc["attention_mask"].unsqueeze(-1).float()                   # (B, T, 1)
            rows.append(((hidden * weights).sum(1) / weights.sum(1)).numpy())       # (B, 384)
    np.save(folder / "embeddings.npy", np.concatenate(rows).astype(np.float32))
    (folder / "sentences.json").write_text(json.dumps(texts))


# ----------------------------------------------------------------------------------------------
# registration
# ----------------------------------------------------------------------------------------------
def _load_tokenizer(folder: Path) -> Any:
    from transformers import BertTokenizerFast

    return BertTokenizerFast.from_pretrained(folder)


def _build_tokenizer(folder: Path) -> None:
    train_tokenizer().save_pretrained(folder)


_PAIR_CARD = ("a tiny {arch} (2 layers, hidden 64, 2 heads, FFN 256{extra}; the 2,000-token WordPiece vocabulary of "
              "course/wiki-wordpiece) pre-trained with MLM + {task} on consecutive-sentence pairs of 92 Wikipedia "
              "articles, {steps} steps of 32 pairs of at most 48 tokens, once per seed 0, 1, 2")

register_recipe(Recipe(
    name="course/wiki-wordpiece", version=1, build=_build_tokenizer, loaders={"tokenizer": _load_tokenizer},
    card=Card(f"a lower-casing WordPiece vocabulary of {SETTINGS['vocab_size']:,} tokens trained on the 92 training "
              "articles of the Wikipedia sample in gensim's test data (data.wiki_split('train'))",
              f"{SETTINGS['vocab_size']:,} tokens", "recipe course_utils.recipes.wiki_pretraining",
              "MIT (course); the text: Wikipedia, CC BY-SA"),
    budget_s=15,
))
for _name, (_arch, _task) in VARIANTS.items():
    register_recipe(Recipe(
        name=f"course/wiki-{_name}", version=1, build=_build_pairs(_name),
        loaders={"tokenizer": _load_tokenizer},
        card=Card(_PAIR_CARD.format(arch="ALBERT" if _arch == "albert" else "BERT", task=_task, steps=SETTINGS["steps"],
                                    extra=f"; E = {SETTINGS['embedding']}, all layers shared" if _arch == "albert" else ""),
                  "≈ 0.24M parameters per seed (BERT), ≈ 0.13M (ALBERT); load each seed with wiki_pretraining.load_seed",
                  "recipe course_utils.recipes.wiki_pretraining", "MIT (course); the text: Wikipedia, CC BY-SA"),
        budget_s=40,   # three seeds; measured 32-37 s on a shared 2-core machine
    ))
register_recipe(Recipe(
    name="course/wiki-minilm-sentences", version=1, build=_build_minilm,
    loaders={"embeddings": lambda folder: minilm_embeddings()},
    card=Card("all-MiniLM-L6-v2's mean-pooled sentence embeddings of the Wikipedia sentences that notebook 07's "
              "pair heads read (the held-out NSP/SOP pairs and 3 × 400 training pairs per task)",
              "≈ 4,000 × 384 float32", "recipe course_utils.recipes.wiki_pretraining",
              "Apache-2.0 (the model); the text: Wikipedia, CC BY-SA"),
    budget_s=75,   # measured 89 s on a shared 2-core machine (load ≈ 3)
))
register_recipe(Recipe(
    name="course/wiki-electra", version=1, build=_build_electra("electra"), loaders={"tokenizer": _load_tokenizer},
    card=Card(f"a tiny ELECTRA (discriminator 2 layers, hidden 64; generator 1/4 as wide, sharing the embeddings) "
              f"pre-trained by replaced token detection on the sentences of 92 Wikipedia articles, {ELECTRA_STEPS} "
              "steps of 32, once per seed 0, 1, 2",
              "discriminator ≈ 0.2M parameters per seed", "recipe course_utils.recipes.wiki_pretraining",
              "MIT (course); the text: Wikipedia, CC BY-SA"),
    budget_s=40,   # three seeds; measured 35 s on a shared 2-core machine
))
register_recipe(Recipe(
    name="course/wiki-electra-mlm", version=1, build=_build_electra("mlm"), loaders={"tokenizer": _load_tokenizer},
    card=Card("the MLM-only control of course/wiki-electra: BERT's masked LM (80/10/10) on an encoder of the "
              "discriminator's sizes, the same sentences, batches, learning rate and seeds, trained for the same "
              "pre-training FLOPs", "≈ 0.2M parameters per seed", "recipe course_utils.recipes.wiki_pretraining",
              "MIT (course); the text: Wikipedia, CC BY-SA"),
    budget_s=30,   # three seeds; measured 24 s on a shared 2-core machine
))
