"""``course/albert-mini``: a small ALBERT pre-trained with MLM + SOP on the English course corpus.

It is ``course/bert-mini`` changed in exactly the three ways ALBERT changes BERT, and in nothing else:
- factorised embeddings: a V×E table (E = 64, half of H) and an E×H projection instead of a V×H table;
- cross-layer sharing: every layer runs the same weights (``num_hidden_groups=1``);
- sentence-order prediction: the story pairs are two consecutive sentences in order or swapped,
  instead of NSP's "next sentence or one from another story".
Same WordPiece vocabulary (``bert_mini.train_tokenizer``), hidden size, depth, heads, FFN, dropout and
activation; the same fact sentences (MLM only, answers always masked), masking, steps, batch,
learning-rate schedule and seed (``course_utils.recipes.bert_mini.SETTINGS``). MLM logits only at the
chosen positions. Notebook 07 compares the two; ``albert-base-v2`` names it as its local stand-in.
Deterministic: fixed seeds, a fixed example order, one thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..models import Card, Recipe, register_recipe
from . import bert_mini
from .bert_mini import SETTINGS as BERT_SETTINGS
from .bert_mini import Example, train_tokenizer
from .bert_mini import config as bert_config

SETTINGS: dict[str, Any] = dict(BERT_SETTINGS, embedding=64)


def config(vocab_size: int, settings: dict[str, Any] = SETTINGS) -> Any:
    """bert-mini's configuration as an ``AlbertConfig`` with E = ``settings["embedding"]`` and all layers shared."""
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


def pretraining_examples(tokenizer: Any, settings: dict[str, Any] = SETTINGS) -> list[Example]:
    """bert-mini's examples with SOP pairs where it has NSP pairs: every two consecutive story sentences,
    in order (label 0) or swapped (label 1), and the same fact sentences (MLM only), shuffled."""
    from ..albert import sop_pairs

    return bert_mini.pretraining_examples(tokenizer, settings, pairs=sop_pairs)


def albert_heads(model: Any) -> tuple[Any, Any, Any]:
    """(encoder, MLM head, sentence-order head) of an ``AlbertForPreTraining``."""
    return model.albert, model.predictions, model.sop_classifier


def pretrain(model: Any, tokenizer: Any, examples: list[Example], steps: int,
             settings: dict[str, Any] = SETTINGS, desc: str = "pre-training albert-mini") -> Any:
    """MLM + SOP pre-training of an ``AlbertForPreTraining``: bert-mini's loop (the same masking, salient
    span masking on fact answers included, optimiser and schedule) with ALBERT's heads; returns
    ``train.History`` (extras mlm, sop). ``Example.nsp_label`` holds the SOP label here."""
    return bert_mini.pretrain(model, tokenizer, examples, steps, settings, desc, heads=albert_heads, pair_task="sop")


def build(folder: Path) -> None:
    import torch
    from transformers import AlbertForPreTraining

    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # a model this small gains nothing from threads, and loses a lot on a busy CPU
    try:
        torch.manual_seed(SETTINGS["seed"])
        tokenizer = train_tokenizer(SETTINGS)
        model = AlbertForPreTraining(config(len(tokenizer)))
        history = pretrain(model, tokenizer, pretraining_examples(tokenizer), SETTINGS["steps"])
    finally:
        torch.set_num_threads(threads)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    torch.save({"losses": history.losses, **history.extras}, folder / "history.pt")


register_recipe(Recipe(
    name="course/albert-mini",
    version=2,
    build=build,
    loaders={"tokenizer": bert_mini.loader("BertTokenizerFast"), "masked-lm": bert_mini.loader("AlbertForMaskedLM"),
             "pretraining": bert_mini.loader("AlbertForPreTraining"), "encoder": bert_mini.loader("AlbertModel")},
    card=Card(f"a small ALBERT: course/bert-mini with factorised embeddings (E = {SETTINGS['embedding']}), "
              f"all {SETTINGS['layers']} layers sharing one set of weights, and SOP instead of NSP; pre-trained "
              f"with MLM + SOP on the English course corpus with bert-mini's vocabulary, data, steps and seed "
              "(its tokenizer is bert-mini's WordPiece, not ALBERT's SentencePiece)",
              "≈ 0.31M parameters (bert-mini: 0.59M)", "recipe course_utils.recipes.albert_mini", "MIT (course)"),
    budget_s=120,   # bert-mini's budget: the same steps and batch, and about the same cost per step
))
