"""ELMo in miniature (notebook 04): a biLSTM language model, its per-layer vectors, and probes.

Peters et al. (2018) pre-train a forward LSTM language model and a backward one (two layers each, sharing
the token representation and the softmax), then give a downstream task a learned mix of the three
representations of each token: ``ELMo_k = γ Σ_j s_j h_{k,j}`` with softmax-normalised ``s_j`` (eq. 1).
Here the token layer is a word embedding (the paper uses a character CNN) and the LSTMs are small.

Notebook 04 writes each definition in a twin cell (first line ``# twin: course_utils.elmo``).
Shapes in comments: B sentences, T positions (the sentence plus <s> and </s>), C the LSTM width,
V the vocabulary, L = 3 representations per token, N probe items.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from .data import FACT_TEMPLATES, STORY_SCRIPTS, all_facts, words
from .errors import CourseError
from .world import COUNTRIES, PEOPLE

LM_PAD = "<pad>"  # id 0
LM_UNK = "<unk>"
LM_BOS = "<s>"
LM_EOS = "</s>"


def build_vocab(sentences: list[list[str]]) -> dict[str, int]:
    """Word -> id, specials first (``<pad>`` is 0), then words by falling frequency (ties alphabetical)."""
    counts = Counter(w for s in sentences for w in s)
    ordered = sorted(counts, key=lambda w: (-counts[w], w))
    return {w: i for i, w in enumerate([LM_PAD, LM_UNK, LM_BOS, LM_EOS, *ordered])}


def encode_sentences(sentences: list[list[str]], stoi: dict[str, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad ``<s> w_1 … w_n </s>`` into a (B, T) id tensor; also return the (B,) true lengths."""
    if not sentences:
        raise CourseError("encode_sentences needs at least one sentence")
    rows = [[stoi[LM_BOS]] + [stoi.get(w, stoi[LM_UNK]) for w in s] + [stoi[LM_EOS]] for s in sentences]
    lengths = torch.tensor([len(r) for r in rows])                         # (B,)
    ids = torch.zeros(len(rows), int(lengths.max()), dtype=torch.long)     # (B, T): 0 is <pad>
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
    return ids, lengths


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each row's first ``length`` positions and leave its padding at the end: (B, T, ...)."""
    T = x.shape[1]
    t = torch.arange(T)[None, :]                                           # (1, T)
    index = torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)  # (B, T)
    index = index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x)  # (B, T, ...)
    return x.gather(1, index)


class BiLM(nn.Module):
    """A forward and a backward 2-layer LSTM LM over one shared embedding and one shared softmax."""

    def __init__(self, vocab_size: int, width: int = 48, n_layers: int = 2):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, width, padding_idx=0)
        self.forward_lstms = nn.ModuleList([nn.LSTM(width, width, batch_first=True) for _ in range(n_layers)])
        self.backward_lstms = nn.ModuleList([nn.LSTM(width, width, batch_first=True) for _ in range(n_layers)])
        self.softmax = nn.Linear(width, vocab_size)                        # shared by both directions

    def directions(self, ids: torch.Tensor, lengths: torch.Tensor):
        """Token vectors (B, T, C) and each layer's forward and backward states, aligned by position."""
        e = self.embed(ids)                                                # (B, T, C)
        forward_states, h = [], e
        for lstm in self.forward_lstms:
            h, _ = lstm(h)                                                 # (B, T, C): state t has read 0..t
            forward_states.append(h)
        backward_states, h = [], reverse_padded(e, lengths)                # (B, T, C): read right to left
        for lstm in self.backward_lstms:
            h, _ = lstm(h)
            backward_states.append(reverse_padded(h, lengths))             # (B, T, C): state t has read t..end
        return e, forward_states, backward_states

    def layers(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ELMo's representations h_{k,j}: (L, B, T, 2C). Layer 0 is [e; e], layer j is [forward_j; backward_j]."""
        e, fs, bs = self.directions(ids, lengths)
        return torch.stack([torch.cat([e, e], -1)] + [torch.cat([f, b], -1) for f, b in zip(fs, bs, strict=True)])

    def losses(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean cross-entropy (nats per token) of the forward LM (next token) and the backward LM (previous)."""
        _, fs, bs = self.directions(ids, lengths)
        forward_logits = self.softmax(fs[-1][:, :-1])                      # (B, T-1, V): predicts ids[:, 1:]
        backward_logits = self.softmax(bs[-1][:, 1:])                      # (B, T-1, V): predicts ids[:, :-1]
        # A pad target is ignored; the backward LM's targets are <s> w_1 … w_n (never a pad before <s>).
        fwd = F.cross_entropy(forward_logits.transpose(1, 2), ids[:, 1:], ignore_index=0)
        back_targets = ids[:, :-1].masked_fill(ids[:, 1:] == 0, 0)         # a target whose state is a pad
        bwd = F.cross_entropy(backward_logits.transpose(1, 2), back_targets, ignore_index=0)
        return fwd, bwd


def train_bilm(sentences: list[list[str]], stoi: dict[str, int], *, width: int = 48, epochs: int = 2,
               batch_size: int = 32, lr: float = 1e-2, seed: int = 0, progress: bool = True):
    """Train a ``BiLM`` on the sum of both directions' losses; returns (model, losses per step)."""
    torch.manual_seed(seed)
    model = BiLM(len(stoi), width)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    rng = random.Random(seed)
    order = list(range(len(sentences)))
    n_batches = len(order) // batch_size
    history = []
    bar = tqdm(total=epochs * n_batches, desc=f"biLM, seed {seed}", disable=not progress)
    for _ in range(epochs):
        rng.shuffle(order)                                                 # a new order every epoch
        for b in range(n_batches):
            batch = [sentences[i] for i in order[b * batch_size:(b + 1) * batch_size]]
            ids, lengths = encode_sentences(batch, stoi)                   # (B, T), (B,)
            fwd, bwd = model.losses(ids, lengths)                          # nats per token, each direction
            optimiser.zero_grad()
            (fwd + bwd).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            history.append(((fwd + bwd) / 2).item())
            bar.update()
    bar.close()
    return model.eval(), history


# ---------------------------------------------------------------------------------------------------
# Probe items from the course world: a sentence, the position of one word in it, and a label
# ---------------------------------------------------------------------------------------------------
class ProbeItem(NamedTuple):
    tokens: list[str]  # words() of the sentence
    position: int      # index of the probed word in tokens
    label: int
    template: str      # the course template it was filled from: probes are tested on templates they never saw


def _fill(template: str, slot: str, rng: random.Random, **given: str) -> tuple[list[str], int]:
    """Fill a course template (the probed ``slot`` with a marker first) and return (words, marker index)."""
    person, friend = rng.sample(PEOPLE, 2)
    p = "he" if person.gender == "male" else "she"
    slots = dict(s=person.name, name=person.name, friend=friend.name, p=p, P=p.capitalize(), a="x",
                 city=rng.choice(COUNTRIES).capital, food="soup", veg="beans", pet=person.pet, x="x")
    slots.update(given)
    value = slots[slot]
    slots[slot] = "qqslotqq"
    tokens = words(template.format(**slots))
    position = tokens.index("qqslotqq")
    tokens[position] = value.lower()
    return tokens, position


# Grammatical function of a person's name: the course templates where the name is NOT the subject of
# its clause (a possessor after "of", an object after "met", the object of "for" and "with").
NOT_SUBJECT_SLOTS: tuple[tuple[str, str], ...] = (
    ("The home of {s} is in {a}.", "s"),
    ("The pet of {s} is a {a}.", "s"),
    ("At work {p} met {friend}.", "friend"),
    ("{name} wanted to cook {food} for {friend}.", "friend"),
    ("One evening the {pet} of {name} ran away.", "name"),
    ("{name} passed and celebrated with {friend}.", "friend"),
)


def subject_items(seed: int = 0, fills: int = 2) -> list[ProbeItem]:
    """Is the probed name the subject (1) or not (0)? Every name fills both kinds of slot equally often."""
    rng = random.Random(seed)
    person_templates = [t for r in ("city", "job", "pet") for t in FACT_TEMPLATES[r]]
    story_templates = [t for script in STORY_SCRIPTS.values() for t in script]
    slots = [(t, "s") for t in person_templates] + [
        (t, slot) for t in story_templates for slot in ("name", "friend") if "{" + slot + "}" in t]
    unknown = set(NOT_SUBJECT_SLOTS) - set(slots)
    if unknown:
        raise CourseError(f"these templates are no longer in the course corpus: {sorted(unknown)}")
    subject_slots = [s for s in slots if s not in NOT_SUBJECT_SLOTS]
    items = []
    for person in PEOPLE:
        for template, slot in NOT_SUBJECT_SLOTS:
            for _ in range(fills):
                items.append(ProbeItem(*_fill(template, slot, rng, **{slot: person.name}), 0, template))
        for template, slot in rng.sample(subject_slots, fills * len(NOT_SUBJECT_SLOTS)):
            items.append(ProbeItem(*_fill(template, slot, rng, **{slot: person.name}), 1, template))
    return items


# The relation a fact sentence states, read at the word just before its answer: "The capital of France
# is | Paris", "Anna works as a | doctor". That word ("is", "a", "in") is shared by several relations, so
# its static vector cannot tell them apart; a language model must know the relation to predict the answer.
RELATIONS = tuple(FACT_TEMPLATES)


def relation_items() -> list[ProbeItem]:
    """Every fact of the course world in every template whose answer is not the first word."""
    items = []
    for fact in all_facts():
        for template in FACT_TEMPLATES[fact.relation]:
            if template.startswith("{a}"):
                continue
            tokens = words(template.format(s=fact.subject, a=fact.answer))
            before = words(template.split("{a}")[0].format(s=fact.subject))
            items.append(ProbeItem(tokens, len(before) - 1, RELATIONS.index(fact.relation), template))
    return items


@torch.no_grad()
def item_features(model: BiLM, items: list[ProbeItem], stoi: dict[str, int]) -> torch.Tensor:
    """Each item's three representations at its probed word: (N, L, 2C). Position +1 skips <s>."""
    ids, lengths = encode_sentences([it.tokens for it in items], stoi)
    layers = model.layers(ids, lengths)                                    # (L, N, T, 2C)
    rows = torch.arange(len(items))
    positions = torch.tensor([it.position + 1 for it in items])
    return layers[:, rows, positions].transpose(0, 1).contiguous()         # (N, L, 2C)


class ScalarMixProbe(nn.Module):
    """Logistic regression on γ Σ_j softmax(s)_j h_j (ELMo's eq. 1); ``layer=j`` probes one layer alone."""

    def __init__(self, n_layers: int, width: int, n_classes: int, layer: int | None = None):
        super().__init__()
        self.layer = layer
        self.s = nn.Parameter(torch.zeros(n_layers))                       # softmax(0, 0, 0): equal weights
        self.gamma = nn.Parameter(torch.ones(()))
        self.classifier = nn.Linear(width, n_classes)

    def weights(self) -> torch.Tensor:
        if self.layer is not None:
            return F.one_hot(torch.tensor(self.layer), len(self.s)).float()
        return torch.softmax(self.s, dim=0)                                # (L,)

    def forward(self, features: torch.Tensor) -> torch.Tensor:             # (N, L, D) -> (N, classes)
        mixed = self.gamma * (self.weights()[None, :, None] * features).sum(1)   # (N, D)
        return self.classifier(mixed)


def fit_probe(train_x: torch.Tensor, train_y: torch.Tensor, n_classes: int, layer: int | None = None,
              steps: int = 300, lr: float = 0.05, weight_decay: float = 1e-3, seed: int = 0) -> ScalarMixProbe:
    """Full-batch Adam on the cross-entropy; the biLM's features stay frozen."""
    torch.manual_seed(seed)
    probe = ScalarMixProbe(train_x.shape[1], train_x.shape[2], n_classes, layer)
    optimiser = torch.optim.Adam(probe.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        loss = F.cross_entropy(probe(train_x), train_y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return probe.eval()


def standardise(train_x: torch.Tensor, test_x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale every layer's features to mean 0, std 1 on the training items (ELMo's per-layer norm, roughly)."""
    mean, std = train_x.mean(0, keepdim=True), train_x.std(0, keepdim=True) + 1e-6
    return (train_x - mean) / std, (test_x - mean) / std


def template_folds(items: list[ProbeItem], seed: int = 0) -> list[int]:
    """Fold 0 or 1 per item: each label's templates are dealt alternately to the two folds (shuffled first),
    so a probe trained on one fold is tested on sentence forms it has never seen."""
    rng = random.Random(seed)
    fold_of = {}
    for label in sorted({it.label for it in items}):
        templates = sorted({it.template for it in items if it.label == label})
        rng.shuffle(templates)
        fold_of.update({t: i % 2 for i, t in enumerate(templates)})
    return [fold_of[it.template] for it in items]
