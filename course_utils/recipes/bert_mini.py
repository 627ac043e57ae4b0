"""``course/bert-mini``: a small BERT pre-trained with MLM + NSP on the course corpus (notebook 05).

2 layers, hidden 128, 2 heads, FFN 512 and a lower-casing WordPiece vocabulary of about 1,200 trained
on the English course corpus. Two kinds of training example, shuffled together:

* **sentence pairs** from the ordered stories: half IsNext, half NotNext (``pretraining.nsp_pairs``);
  both losses apply;
* **single fact sentences** (the ``facts`` section: every training sentence form of every fact): MLM
  only (NSP label -100).

Masking is BERT's (15% of tokens, 80/10/10) everywhere. On the fact sentences the *answer* of the fact
(the capital, the language, the pet, …) is also always masked: salient span masking (Guu et al. 2020,
REALM §3.4; Roberts et al. 2020). Measured while writing this recipe (1,500 steps × 64, one thread):
with BERT's random masking alone the model learns the sentence forms but not the facts (held-out
fill-mask ≈ 2–6%); with the answers masked it stores them (≈ 70% held-out, ≈ 93% on seen forms).
Notebook 05 trains the plain variant live and loads this one by name; notebooks 07–09 load it too.
Deterministic: fixed seeds, a fixed example order, one thread.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, NamedTuple

from ..models import Card, Recipe, register_recipe

SETTINGS: dict[str, Any] = dict(
    vocab_size=1200, hidden=128, layers=2, heads=2, ffn=512, max_len=48,   # model and inputs
    batch=64, steps=1500, lr=3e-3, warmup=100, floor=0.05, weight_decay=0.01, seed=0,  # optimisation
    mlm_probability=0.15, fact_repeats=16, answer_mask=1.0,               # data and masking
)


class Example(NamedTuple):
    input_ids: list[int]
    token_type_ids: list[int]
    nsp_label: int       # 0 IsNext, 1 NotNext, -100 for a single sentence (MLM only)
    answer_pos: int      # position of a fact's answer token (salient span), -1 if none


def config(vocab_size: int, settings: dict[str, Any] = SETTINGS):
    """The ``BertConfig`` of bert-mini for a vocabulary of ``vocab_size`` tokens."""
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=settings["hidden"],
                      num_hidden_layers=settings["layers"], num_attention_heads=settings["heads"],
                      intermediate_size=settings["ffn"], max_position_embeddings=64)


def train_tokenizer(settings: dict[str, Any] = SETTINGS):
    """The WordPiece vocabulary of the English course corpus (every fact answer is one token)."""
    from ..data import course_corpus
    from ..pretraining import train_wordpiece

    return train_wordpiece(course_corpus().sentences(english_only=True), settings["vocab_size"])


def pretraining_examples(tokenizer: Any, settings: dict[str, Any] = SETTINGS, pairs: Any = None) -> list[Example]:
    """Story sentence pairs and fact sentences (MLM only), in a fixed shuffled order. ``pairs(stories, rng)``
    makes the sentence pairs: ``pretraining.nsp_pairs`` by default (ALBERT passes its SOP pairs)."""
    from ..data import course_corpus
    from ..pretraining import nsp_pairs

    corpus = course_corpus()
    rng = random.Random(settings["seed"])
    examples = []
    for a, b, label in (pairs or nsp_pairs)([s for _, s in corpus.stories_train], rng):
        enc = tokenizer(a, b, truncation=True, max_length=settings["max_len"])
        examples.append(Example(enc["input_ids"], enc["token_type_ids"], label, -1))
    for item in corpus.fill_mask_seen:
        enc = tokenizer(item.sentence, truncation=True, max_length=settings["max_len"])
        answer = tokenizer.convert_tokens_to_ids(item.answer.lower())
        pos = enc["input_ids"].index(answer) if answer in enc["input_ids"] else -1
        examples += [Example(enc["input_ids"], enc["token_type_ids"], -100, pos)] * settings["fact_repeats"]
    rng.shuffle(examples)
    return examples


def bert_heads(model: Any) -> tuple[Any, Any, Any]:
    """(encoder, MLM head, sentence-pair head) of a ``BertForPreTraining``."""
    from ..pretraining import bert_heads as heads

    return heads(model)


def pretrain(model: Any, tokenizer: Any, examples: list[Example], steps: int,
             settings: dict[str, Any] = SETTINGS, desc: str = "pre-training bert-mini",
             heads: Any = bert_heads, pair_task: str = "nsp"):
    """MLM + sentence-pair pre-training; returns ``train.History`` (extras ``mlm`` and ``pair_task``).

    The loop is ``pretraining.pretrain`` (notebook 05 teaches it step by step): each step pads a batch,
    masks it (BERT's 80/10/10, plus the fact answers: salient span masking), and adds the MLM loss at the
    chosen positions to the pair loss. ``heads(model)`` gives the encoder, the MLM head and the pair head
    (BERT's by default; ALBERT's recipe passes its own with ``pair_task="sop"``).
    """
    from ..pretraining import pretrain as pretraining_loop

    return pretraining_loop(model, tokenizer, examples, steps, settings, desc=desc, heads=heads, pair_task=pair_task)


def build(folder: Path) -> None:
    import torch
    from transformers import BertForPreTraining

    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # a model this small gains nothing from threads, and loses a lot on a busy CPU
    try:
        torch.manual_seed(SETTINGS["seed"])
        tokenizer = train_tokenizer()
        model = BertForPreTraining(config(len(tokenizer)))
        history = pretrain(model, tokenizer, pretraining_examples(tokenizer), SETTINGS["steps"])
    finally:
        torch.set_num_threads(threads)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    torch.save({"losses": history.losses, **history.extras}, folder / "history.pt")


def loader(class_name: str):
    """A loader of a saved model (``transformers`` class name) or of its ``BertTokenizerFast``."""

    def load(folder: Path) -> Any:
        import transformers

        cls = getattr(transformers, class_name)
        model = cls.from_pretrained(folder)
        return model if class_name == "BertTokenizerFast" else model.eval()

    return load


register_recipe(Recipe(
    name="course/bert-mini",
    version=2,
    build=build,
    loaders={"tokenizer": loader("BertTokenizerFast"), "masked-lm": loader("BertForMaskedLM"),
             "pretraining": loader("BertForPreTraining"), "encoder": loader("BertModel")},
    card=Card("a small BERT (2 layers, hidden 128, 2 heads, FFN 512, a 1,200-token WordPiece vocabulary of "
              "the course corpus) pre-trained with MLM + NSP on the course corpus's stories and facts, "
              "1,500 steps of 64; fact answers always masked (salient span masking)",
              "≈ 0.59M parameters; held-out fill-mask and NSP accuracy in notebook 05",
              "recipe course_utils.recipes.bert_mini", "MIT (course)"),
    budget_s=120,
))
