"""``course/gpt-tiny``, ``course/gpt-small``, ``course/gpt-medium``: GPT-2-architecture causal LMs of three
sizes trained on the course corpus (notebook 06, "in-context learning vs size").

They read a word-level vocabulary of the corpus (a newline is its own token, ``¶``), and train on the
sections that hold the in-context lines (``x => y`` lists under a task description) and the facts
behind them. Same data, same steps, same seed and the same depth (2 layers) for every size: only the width
changes, so the comparison has no depth confound.
Deterministic (fixed seeds, a fixed batch order); saved with ``save_pretrained``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import Card, Recipe, register_recipe

SECTIONS = ["in_context", "facts", "analogies"]
NEWLINE = "¶"           # the newline token: "x => y" lines are separated by it
SPECIAL = ["[PAD]", "[UNK]", "[EOS]"]
BLOCK = 64              # training window (tokens)


@dataclass(frozen=True)
class GPTSize:
    name: str
    n_embd: int
    n_layer: int
    n_head: int
    steps: int
    budget_s: float


SIZES = (
    GPTSize("course/gpt-tiny", n_embd=32, n_layer=2, n_head=4, steps=300, budget_s=30),
    GPTSize("course/gpt-small", n_embd=64, n_layer=2, n_head=4, steps=300, budget_s=60),
    GPTSize("course/gpt-medium", n_embd=128, n_layer=2, n_head=4, steps=300, budget_s=90),
)


def train_tokenizer(texts: list[str]) -> Any:
    """A word-level tokenizer of the corpus: words and punctuation are tokens; '\\n' becomes ``¶``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.normalizer = normalizers.Replace("\n", f" {NEWLINE} ")
    tok.pre_tokenizer = pre_tokenizers.Whitespace()   # \w+ | [^\w\s]+ : "=>" and "¶" are one token each
    tok.decoder = decoders.WordPiece(prefix="##")     # joins tokens with spaces
    tok.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=SPECIAL))
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   eos_token="[EOS]", bos_token="[EOS]")


def training_stream(tokenizer: Any) -> list[int]:
    """Every training text of ``SECTIONS``, tokenised and joined with [EOS] between texts."""
    from ..data import course_corpus

    eos = tokenizer.eos_token_id
    ids: list[int] = []
    for text in course_corpus().sentences(SECTIONS):
        ids.extend(tokenizer(text, add_special_tokens=False)["input_ids"])
        ids.append(eos)
    return ids


def _builder(size: GPTSize):
    def build(folder: Path) -> None:
        import torch
        from transformers import GPT2Config, GPT2LMHeadModel

        from ..data import course_corpus
        from ..train import fit

        threads = torch.get_num_threads()
        torch.set_num_threads(1)   # models this small gain nothing from threads, and lose a lot on a busy CPU
        torch.manual_seed(0)
        tokenizer = train_tokenizer(course_corpus().sentences(SECTIONS))
        stream = torch.tensor(training_stream(tokenizer))                          # (N,)
        config = GPT2Config(vocab_size=len(tokenizer), n_positions=128, n_embd=size.n_embd,
                            n_layer=size.n_layer, n_head=size.n_head, resid_pdrop=0.0, embd_pdrop=0.0,
                            attn_pdrop=0.0, bos_token_id=tokenizer.eos_token_id,
                            eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
        model = GPT2LMHeadModel(config)
        optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=size.steps,
                                                       pct_start=0.1)
        generator = torch.Generator().manual_seed(0)
        batch = 32

        def step(i: int) -> float:
            starts = torch.randint(0, len(stream) - BLOCK - 1, (batch,), generator=generator)
            x = torch.stack([stream[s:s + BLOCK] for s in starts.tolist()])         # (B, T)
            loss = model(input_ids=x, labels=x).loss                                  # shifted inside
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            return loss.item()

        model.train()
        try:
            history = fit(step, size.steps, desc=f"training {size.name}")
        finally:
            torch.set_num_threads(threads)
        model.eval()
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        (folder / "losses.txt").write_text("\n".join(f"{x:.4f}" for x in history.losses))

    return build


def load_causal_lm(folder: Path) -> Any:
    from transformers import GPT2LMHeadModel

    return GPT2LMHeadModel.from_pretrained(folder).eval()


def load_tokenizer(folder: Path) -> Any:
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(folder)


for _size in SIZES:
    register_recipe(Recipe(
        name=_size.name,
        version=3,
        build=_builder(_size),
        loaders={"causal-lm": load_causal_lm, "tokenizer": load_tokenizer},
        card=Card(f"a GPT-2-architecture causal LM ({_size.n_layer} layer(s), width {_size.n_embd}, "
                  f"{_size.n_head} heads, word-level vocabulary) trained {_size.steps} steps on the course "
                  f"corpus sections {', '.join(SECTIONS)}", "see the notebook's parameter table",
                  "recipe course_utils.recipes.gpt_mini", "MIT (course)"),
        budget_s=_size.budget_s,
    ))
