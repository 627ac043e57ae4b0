"""``course/word2vec-sgns``: gensim skip-gram with negative sampling on the course corpus.

A reference embedding of the toy world (notebooks 00–02 compare their own vectors with it).
Deterministic: one worker thread and a fixed seed.
"""

from __future__ import annotations

from pathlib import Path

from ..models import Card, Recipe, register_recipe

SETTINGS = dict(vector_size=50, window=3, min_count=1, sg=1, negative=5, epochs=10, seed=0, workers=1)


def build(folder: Path) -> None:
    from gensim.models import Word2Vec

    from ..data import course_corpus

    sentences = course_corpus().tokenized()
    model = Word2Vec(sentences=sentences, **SETTINGS)
    model.wv.save(str(folder / "vectors.kv"))


def load_vectors(folder: Path):
    from gensim.models import KeyedVectors

    return KeyedVectors.load(str(folder / "vectors.kv"))


register_recipe(Recipe(
    name="course/word2vec-sgns",
    version=1,
    build=build,
    loaders={"vectors": load_vectors},
    card=Card("skip-gram with negative sampling (gensim Word2Vec, 50-d, window 3, 5 negatives, 10 epochs) "
              "trained on the English course corpus", "≈ 600 words × 50", "recipe course_utils.recipes.word2vec",
              "MIT (course)"),
    budget_s=30,
))
