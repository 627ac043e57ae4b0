"""Language models and knowledge graphs (notebook 10): the course world as a knowledge graph, TransE,
ERNIE-style entity fusion, KagNet-style path evidence and retrieval for a causal LM.

Notebook 10 teaches every function here in its own twin cell (``# twin: course_utils.knowledge``); the
``course/ernie-mini`` recipe, the exercise checkers and the tests import them from this module.

- ``build_triples`` turns ``course_utils.world`` into (head, relation, tail) triples; ``KnowledgeGraph``
  indexes them for one-hop queries and path search.
- ``TransE`` (Bordes et al. 2013): h + r ≈ t, a margin loss over corrupted triples, link prediction.
- ``align_entities`` + ``FusionLayer`` + ``KnowledgeEncoder``: ERNIE's idea (Zhang et al. 2019) in
  miniature: entity vectors added into the token states of the words that mention them.
- ``find_paths`` / ``path_scores``: KagNet's idea (Lin et al. 2019): score answers by KG paths.
- ``TfidfRetriever``: the retrieval step of retrieval-augmented generation (Lewis et al. 2020).
"""

from __future__ import annotations

import math
import random
from collections import Counter, deque
from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import world
from .data import words
from .errors import CourseError, require_text


# ----------------------------------------------------------------------------------------------
# 1 · the knowledge graph
# ----------------------------------------------------------------------------------------------
class Triple(NamedTuple):
    head: str
    relation: str
    tail: str


def build_triples() -> list[Triple]:
    """Every fact of the course world as a (head, relation, tail) triple, in a fixed order.

    One-to-one relations are stored in both directions (``capital`` / ``capital_of``, ``language`` /
    ``spoken_in``, ``lives_in`` / ``home_of``), as Freebase stores inverse relations."""
    triples: list[Triple] = []
    for c in world.COUNTRIES:
        triples.append(Triple(c.country, "capital", c.capital))
        triples.append(Triple(c.capital, "capital_of", c.country))
        triples.append(Triple(c.country, "language", c.language))
        triples.append(Triple(c.language, "spoken_in", c.country))
        triples.append(Triple(c.country, "region", c.region))
    for p in world.PEOPLE:
        triples.append(Triple(p.name, "lives_in", p.city))
        triples.append(Triple(p.city, "home_of", p.name))
        triples.append(Triple(p.name, "job", p.job))
        triples.append(Triple(p.name, "pet", p.pet))
        triples.append(Triple(p.name, "gender", p.gender))
    for animal, sound, habitat in world.ANIMALS:
        triples.append(Triple(animal, "sound", sound))
        triples.append(Triple(animal, "habitat", habitat))
    for thing, colour in world.OBJECT_COLOURS:
        triples.append(Triple(thing, "colour", colour))
    return triples


class KnowledgeGraph:
    """Triples indexed by (head, relation), with entity and relation ids for embedding tables."""

    def __init__(self, triples: Sequence[Triple]) -> None:
        if not triples:
            raise CourseError("a knowledge graph needs at least one triple")
        self.triples = list(triples)
        self.entities = sorted({t.head for t in triples} | {t.tail for t in triples})
        self.relations = sorted({t.relation for t in triples})
        self.entity_id = {e: i for i, e in enumerate(self.entities)}
        self.relation_id = {r: i for i, r in enumerate(self.relations)}
        self.out_edges: dict[str, list[tuple[str, str]]] = {e: [] for e in self.entities}
        for h, r, t in self.triples:
            self.out_edges[h].append((r, t))

    def check_entity(self, entity: str) -> None:
        """Raise a ``CourseError`` naming a few known entities if ``entity`` is not in the graph."""
        if entity not in self.entity_id:
            raise CourseError(f"unknown entity {entity!r}: the graph has {len(self.entities)} entities, "
                              f"e.g. {self.entities[:5]} (names are case-sensitive)")

    def check_relation(self, relation: str) -> None:
        """Raise a ``CourseError`` listing the relations if ``relation`` is not one of them."""
        if relation not in self.relation_id:
            raise CourseError(f"unknown relation {relation!r}; choose one of {self.relations}")

    def one_hop(self, head: str, relation: str) -> list[str]:
        """The tails t of every triple (head, relation, t), sorted."""
        self.check_entity(head)
        self.check_relation(relation)
        return sorted(t for r, t in self.out_edges[head] if r == relation)

    def ids(self, triples: Sequence[Triple]) -> torch.Tensor:
        """Triples as a (N, 3) tensor of (head id, relation id, tail id)."""
        for h, r, t in triples:
            self.check_entity(h)
            self.check_relation(r)
            self.check_entity(t)
        rows = [[self.entity_id[h], self.relation_id[r], self.entity_id[t]] for h, r, t in triples]
        return torch.tensor(rows, dtype=torch.long).reshape(-1, 3)                   # (N, 3)


def split_triples(triples: Sequence[Triple], test_fraction: float = 0.15,
                  seed: int = 0) -> tuple[list[Triple], list[Triple]]:
    """A random train/test split in which every entity of a test triple still occurs in training."""
    if not 0 < test_fraction < 1:
        raise CourseError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    order = list(triples)
    random.Random(seed).shuffle(order)
    degree = Counter([t.head for t in order] + [t.tail for t in order])
    n_test = round(test_fraction * len(order))
    train, test = [], []
    for triple in order:
        if len(test) < n_test and degree[triple.head] > 1 and degree[triple.tail] > 1:
            test.append(triple)
            degree[triple.head] -= 1
            degree[triple.tail] -= 1
        else:
            train.append(triple)
    return train, test


# ----------------------------------------------------------------------------------------------
# 3 · TransE: h + r ≈ t
# ----------------------------------------------------------------------------------------------
class TransE(nn.Module):
    """Entities and relations as vectors; a triple is plausible when ‖h + r − t‖ is small."""

    def __init__(self, n_entities: int, n_relations: int, dim: int = 32) -> None:
        super().__init__()
        self.entity = nn.Embedding(n_entities, dim)
        self.relation = nn.Embedding(n_relations, dim)
        bound = 6 / math.sqrt(dim)                      # the paper's uniform initialisation
        nn.init.uniform_(self.entity.weight, -bound, bound)
        nn.init.uniform_(self.relation.weight, -bound, bound)
        with torch.no_grad():
            self.relation.weight.div_(self.relation.weight.norm(dim=1, keepdim=True))

    def distance(self, triples: torch.Tensor) -> torch.Tensor:
        """‖h + r − t‖₂ for each row (head id, relation id, tail id) of ``triples`` (N, 3)."""
        h = self.entity(triples[:, 0])                  # (N, d)
        r = self.relation(triples[:, 1])                # (N, d)
        t = self.entity(triples[:, 2])                  # (N, d)
        return (h + r - t).norm(p=2, dim=-1)            # (N,)


def corrupt(triples: torch.Tensor, n_entities: int, generator: torch.Generator) -> torch.Tensor:
    """Negative sampling: each triple with its head or its tail (one of the two at random) replaced by a
    random entity."""
    negatives = triples.clone()                                                   # (N, 3)
    n = len(triples)
    random_entities = torch.randint(n_entities, (n,), generator=generator)        # (N,)
    replace_head = torch.rand(n, generator=generator) < 0.5                       # (N,)
    negatives[replace_head, 0] = random_entities[replace_head]
    negatives[~replace_head, 2] = random_entities[~replace_head]
    return negatives


def transe_loss(model: TransE, positives: torch.Tensor, negatives: torch.Tensor,
                margin: float = 1.0) -> torch.Tensor:
    """The margin ranking loss mean(max(0, margin + d(positive) − d(negative)))."""
    d_pos = model.distance(positives)                                             # (N,)
    d_neg = model.distance(negatives)                                             # (N,)
    target = -torch.ones_like(d_pos)            # -1: the first argument should be the smaller one
    return F.margin_ranking_loss(d_pos, d_neg, target, margin=margin)


def transe_step(model: TransE, optimizer: torch.optim.Optimizer, triples: torch.Tensor,
                generator: torch.Generator, margin: float = 1.0) -> float:
    """One step over all training triples: renormalise entities, corrupt, margin loss, update."""
    with torch.no_grad():                                 # the paper keeps entity vectors on the unit sphere
        model.entity.weight.div_(model.entity.weight.norm(dim=1, keepdim=True))
    negatives = corrupt(triples, model.entity.num_embeddings, generator)          # (N, 3)
    loss = transe_loss(model, triples, negatives, margin)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def train_transe(kg: KnowledgeGraph, triples: Sequence[Triple], *, dim: int = 32, steps: int = 400,
                 lr: float = 0.01, margin: float = 1.0, seed: int = 0) -> TransE:
    """TransE trained on ``triples`` of ``kg`` (full batch, Adam), deterministic for a given seed."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = TransE(len(kg.entities), len(kg.relations), dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    ids = kg.ids(triples)                                                          # (N, 3)
    for _ in range(steps):
        transe_step(model, optimizer, ids, generator, margin)
    with torch.no_grad():
        model.entity.weight.div_(model.entity.weight.norm(dim=1, keepdim=True))
    return model.eval()


def tail_ranks(model: TransE, kg: KnowledgeGraph, test: Sequence[Triple],
               known: Sequence[Triple]) -> list[int]:
    """Filtered rank of each test triple's true tail among all entities, by TransE distance.

    Other tails known to be true for the same (head, relation) (in ``known``) are left out of the
    ranking, as in Bordes et al.'s "filtered" setting."""
    true_tails: dict[tuple[str, str], set[str]] = {}
    for h, r, t in known:
        true_tails.setdefault((h, r), set()).add(t)
    ranks = []
    with torch.no_grad():
        for h, r, t in test:
            head = model.entity.weight[kg.entity_id[h]]                            # (d,)
            rel = model.relation.weight[kg.relation_id[r]]                         # (d,)
            dist = (head + rel - model.entity.weight).norm(dim=-1)                 # (E,)
            for other in true_tails.get((h, r), set()) - {t}:
                dist[kg.entity_id[other]] = float("inf")
            ranks.append(int((dist < dist[kg.entity_id[t]]).sum()) + 1)
    return ranks


def ranking_metrics(ranks: Sequence[int]) -> dict[str, float]:
    """Mean reciprocal rank and Hits@1 / Hits@10 of a list of ranks (1 = best)."""
    if not ranks:
        raise CourseError("no ranks to summarise")
    n = len(ranks)
    return {"MRR": sum(1 / r for r in ranks) / n,
            "Hits@1": sum(r <= 1 for r in ranks) / n,
            "Hits@10": sum(r <= 10 for r in ranks) / n}


def frequency_ranks(kg: KnowledgeGraph, train: Sequence[Triple], test: Sequence[Triple],
                    known: Sequence[Triple]) -> list[int]:
    """The trivial baseline: rank tails by how often they end the test triple's relation in training
    (ties broken by name, unseen tails last), filtered like ``tail_ranks``."""
    counts: dict[str, Counter[str]] = {}
    for _h, r, t in train:
        counts.setdefault(r, Counter())[t] += 1
    true_tails: dict[tuple[str, str], set[str]] = {}
    for h, r, t in known:
        true_tails.setdefault((h, r), set()).add(t)
    ranks = []
    for h, r, t in test:
        freq = counts.get(r, Counter())
        order = sorted(kg.entities, key=lambda e: (-freq[e], e))
        order = [e for e in order if e == t or e not in true_tails.get((h, r), set())]
        ranks.append(order.index(t) + 1)
    return ranks


# ----------------------------------------------------------------------------------------------
# 4 · ERNIE in miniature: entity alignment and a fusion layer
# ----------------------------------------------------------------------------------------------
def align_entities(words: Sequence[str], kg: KnowledgeGraph, skip: Sequence[int] = ()) -> list[int]:
    """For each word, the id of the KG entity it names (case-insensitive), or -1. Positions in ``skip``
    (the masked answer) are never aligned, so the model cannot read the answer off its entity."""
    lower = {e.lower(): i for e, i in kg.entity_id.items()}
    return [-1 if i in skip else lower.get(w.lower(), -1) for i, w in enumerate(words)]


class FusionLayer(nn.Module):
    """ERNIE's information fusion (Zhang et al. 2019, eq. 4): h = GELU(W_t·w + W_e·e + b) for a token
    aligned to an entity, h = GELU(W_t·w + b) for the others; then a residual and LayerNorm."""

    def __init__(self, hidden: int, entity_dim: int) -> None:
        super().__init__()
        self.token_proj = nn.Linear(hidden, hidden)
        self.entity_proj = nn.Linear(entity_dim, hidden, bias=False)
        self.norm = nn.LayerNorm(hidden)

    def forward(self, tokens: torch.Tensor, entities: torch.Tensor, aligned: torch.Tensor) -> torch.Tensor:
        """tokens (B, T, H), entities (B, T, d_e) (rows of unaligned tokens are ignored), aligned (B, T)."""
        knowledge = self.entity_proj(entities) * aligned.unsqueeze(-1)              # (B, T, H)
        fused = F.gelu(self.token_proj(tokens) + knowledge)                         # (B, T, H)
        return self.norm(tokens + fused)                                            # (B, T, H)


class KnowledgeEncoder(nn.Module):
    """A small BERT-like encoder: embeddings, a text layer, [a fusion layer], a knowledge layer, an MLM
    head tied to the word embeddings. ``entity_vectors=None`` gives the plain encoder. Otherwise the
    (frozen) KG vectors are fused after the first layer, as ERNIE's knowledgeable encoder follows its
    textual encoder, and the head also scores each word that names an entity by its KG vector (ERNIE's
    denoising entity auto-encoder predicts entities with the entity embeddings in the same way);
    ``vocab_entities`` (V,) gives that entity id per word (-1 for none)."""

    def __init__(self, vocab_size: int, hidden: int = 128, heads: int = 2, ffn: int = 512, max_len: int = 24,
                 entity_vectors: torch.Tensor | None = None, vocab_entities: torch.Tensor | None = None) -> None:
        super().__init__()
        self.words = nn.Embedding(vocab_size, hidden)
        self.positions = nn.Embedding(max_len, hidden)
        self.embed_norm = nn.LayerNorm(hidden)

        def layer() -> nn.TransformerEncoderLayer:
            return nn.TransformerEncoderLayer(hidden, heads, ffn, dropout=0.0, activation="gelu",
                                              batch_first=True, norm_first=False)

        self.text_layer = layer()
        self.knowledge_layer = layer()
        self.fusion = None
        if entity_vectors is not None:
            self.register_buffer("entity_table", entity_vectors.clone())             # (E, d_e), frozen
            self.fusion = FusionLayer(hidden, entity_vectors.shape[1])
            if vocab_entities is None:
                raise CourseError("a fused encoder needs vocab_entities: the entity id of each word (-1 for none)")
            word_vectors = entity_vectors[vocab_entities.clamp(min=0)] * (vocab_entities >= 0).unsqueeze(-1)
            self.register_buffer("word_entity_vectors", word_vectors.clone())           # (V, d_e)
            self.entity_query = nn.Linear(hidden, entity_vectors.shape[1])
        self.head_bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, ids: torch.Tensor, entity_ids: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, V) for token ids (B, T) (0 = padding) and aligned entity ids (B, T) (-1 = none)."""
        pad = ids == 0                                                                # (B, T)
        pos = torch.arange(ids.shape[1], device=ids.device)                           # (T,)
        x = self.embed_norm(self.words(ids) + self.positions(pos))                    # (B, T, H)
        x = self.text_layer(x, src_key_padding_mask=pad)                              # (B, T, H)
        if self.fusion is not None:
            aligned = (entity_ids >= 0).float()                                       # (B, T)
            entities = self.entity_table[entity_ids.clamp(min=0)]                     # (B, T, d_e)
            x = self.fusion(x, entities, aligned)                                     # (B, T, H)
        x = self.knowledge_layer(x, src_key_padding_mask=pad)                         # (B, T, H)
        logits = x @ self.words.weight.T + self.head_bias                             # (B, T, V)
        if self.fusion is not None:
            logits = logits + self.entity_query(x) @ self.word_entity_vectors.T       # (B, T, V)
        return logits


class FusionData(NamedTuple):
    vocab: list[str]                 # index 0 = [PAD], 1 = [MASK]
    vocab_entities: torch.Tensor     # (V,) the KG entity id each word names, -1 for none
    train: list[tuple[list[int], list[int], int, int]]   # (token ids, entity ids, mask position, answer id)
    test: list[tuple[list[int], list[int], int, int]]
    test_relations: list[str]


def fusion_data(kg: KnowledgeGraph, facts: Sequence[object], templates: dict[str, Sequence[str]],
                heldout_every: int = 3) -> FusionData:
    """Fill-mask items for the fusion comparison, from the course corpus's facts and sentence forms.

    Every ``heldout_every``-th fact of each relation is never stated in the training text (none of its
    sentence forms); the test items are all forms of those facts, the answer masked. The KG (the
    TransE vectors) holds every fact: the knowledge only the fused model can reach."""
    items: list[tuple[list[str], int, str, bool]] = []
    seen: Counter[str] = Counter()
    for fact in facts:
        held = seen[fact.relation] % heldout_every == heldout_every - 1
        seen[fact.relation] += 1
        for template in templates[fact.relation]:
            text = template.replace("{a}", "[MASK]").format(s=fact.subject)
            tokens = [w if w != "mask" else "[MASK]" for w in words(text)]
            items.append((tokens, tokens.index("[MASK]"), fact.answer.lower(), held))
    vocab = ["[PAD]", "[MASK]"] + sorted({w for toks, *_ in items for w in toks if w != "[MASK]"}
                                         | {answer for _, _, answer, _ in items})
    index = {w: i for i, w in enumerate(vocab)}
    vocab_entities = torch.tensor(align_entities(vocab, kg))                      # (V,)
    train, test, test_relations = [], [], []
    relations = [f.relation for f in facts for _ in templates[f.relation]]
    for (tokens, pos, answer, held), relation in zip(items, relations, strict=True):
        row = ([index[w] for w in tokens], align_entities(tokens, kg, skip=[pos]), pos, index[answer])
        (test if held else train).append(row)
        if held:
            test_relations.append(relation)
    return FusionData(vocab, vocab_entities, train, test, test_relations)


def fusion_batch(rows: Sequence[tuple[list[int], list[int], int, int]]) -> tuple[torch.Tensor, ...]:
    """Pad a list of items into (ids (B, T), entity ids (B, T), mask positions (B,), answers (B,))."""
    width = max(len(ids) for ids, *_ in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)                          # (B, T)
    ents = torch.full((len(rows), width), -1, dtype=torch.long)                    # (B, T)
    for i, (tok, ent, _, _) in enumerate(rows):
        ids[i, :len(tok)] = torch.tensor(tok)
        ents[i, :len(ent)] = torch.tensor(ent)
    pos = torch.tensor([p for _, _, p, _ in rows])                                 # (B,)
    answers = torch.tensor([a for *_, a in rows])                                  # (B,)
    return ids, ents, pos, answers


def train_fill_mask(model: KnowledgeEncoder, rows: Sequence[tuple[list[int], list[int], int, int]], *,
                    steps: int = 300, batch: int = 64, lr: float = 2e-3, seed: int = 0) -> list[float]:
    """Train the encoder to fill each item's masked answer (cross-entropy at the [MASK] only); returns
    the losses. Batches are drawn with a seeded generator: the same seed gives the same batches to the
    plain and the fused encoder."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    losses = []
    model.train()
    for _ in range(steps):
        pick = torch.randint(len(rows), (batch,), generator=generator).tolist()
        ids, ents, pos, answers = fusion_batch([rows[i] for i in pick])
        logits = model(ids, ents)                                                    # (B, T, V)
        loss = F.cross_entropy(logits[torch.arange(len(pick)), pos], answers)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def fill_mask_hits(model: KnowledgeEncoder, rows: Sequence[tuple[list[int], list[int], int, int]]) -> list[bool]:
    """For each item, whether the encoder's top token at the [MASK] is the answer."""
    model.eval()
    ids, ents, pos, answers = fusion_batch(rows)
    with torch.no_grad():
        logits = model(ids, ents)                                                    # (N, T, V)
    predicted = logits[torch.arange(len(rows)), pos].argmax(-1)                      # (N,)
    return (predicted == answers).tolist()


# ----------------------------------------------------------------------------------------------
# 5 · KagNet's idea: paths between question entities and answer candidates
# ----------------------------------------------------------------------------------------------
def find_paths(kg: KnowledgeGraph, source: str, target: str, max_hops: int = 3) -> list[list[Triple]]:
    """Every simple path of at most ``max_hops`` triples from ``source`` to ``target`` (breadth first)."""
    kg.check_entity(source)
    kg.check_entity(target)
    if max_hops < 1:
        raise CourseError(f"max_hops must be at least 1, got {max_hops}")
    paths: list[list[Triple]] = []
    queue: deque[tuple[str, list[Triple]]] = deque([(source, [])])
    while queue:
        node, path = queue.popleft()
        visited = {source} | {t.tail for t in path}
        for relation, tail in kg.out_edges[node]:
            step = path + [Triple(node, relation, tail)]
            if tail == target:
                paths.append(step)
            elif len(step) < max_hops and tail not in visited:
                queue.append((tail, step))
    return paths


def path_scores(kg: KnowledgeGraph, sources: Sequence[str], candidates: Sequence[str],
                max_hops: int = 3) -> dict[str, float]:
    """Evidence for each candidate: the sum over paths from any source of 1 / (path length)."""
    return {c: sum(1 / len(p) for s in sources for p in find_paths(kg, s, c, max_hops)) for c in candidates}


# ----------------------------------------------------------------------------------------------
# 6 · retrieval: TF-IDF over fact sentences
# ----------------------------------------------------------------------------------------------
class TfidfRetriever:
    """TF-IDF vectors of documents (lower-cased words); ``retrieve`` returns the k nearest by cosine."""

    def __init__(self, documents: Sequence[str]) -> None:
        if not documents:
            raise CourseError("a retriever needs at least one document")
        self.documents = list(documents)
        tokenized = [words(d) for d in self.documents]
        df = Counter(w for toks in tokenized for w in set(toks))
        self.vocab = {w: i for i, w in enumerate(sorted(df))}
        n = len(self.documents)
        self.idf = torch.tensor([math.log((1 + n) / (1 + df[w])) + 1 for w in sorted(df)])   # (V,)
        self.matrix = torch.stack([self._vector(toks) for toks in tokenized])                # (N, V)

    def _vector(self, tokens: Sequence[str]) -> torch.Tensor:
        v = torch.zeros(len(self.vocab))                                                     # (V,)
        for w in tokens:
            if w in self.vocab:
                v[self.vocab[w]] += 1
        v = v * self.idf
        return v / v.norm() if v.norm() > 0 else v

    def retrieve(self, query: str, k: int = 1) -> list[str]:
        """The ``k`` documents most similar to ``query`` (ties: the earlier document first)."""
        require_text(query, "query")
        if not 1 <= k <= len(self.documents):
            raise CourseError(f"k must be between 1 and {len(self.documents)}, got {k}")
        scores = self.matrix @ self._vector(words(query))                                    # (N,)
        order = sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))
        return [self.documents[i] for i in order[:k]]
