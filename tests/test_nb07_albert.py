"""Notebook 07: ALBERT parameter counting (formula == sum(p.numel()) for real modules), the sharing variants,
SOP pairs, the word baselines, pair classifiers, the parameter calculator, the exercise checkers and the
course/albert-mini recipe."""

from __future__ import annotations

import random

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from transformers import AlbertConfig, AlbertModel, BertConfig, BertModel

from course_utils import albert as al
from course_utils import checks, data, models, widgets
from course_utils import transformer as tr
from course_utils.errors import CourseError
from course_utils.pretraining import nsp_pairs, train_wordpiece


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def albert_base(embedding: int = 128) -> AlbertConfig:
    return AlbertConfig(vocab_size=30000, embedding_size=embedding, hidden_size=768, num_hidden_layers=12,
                        num_attention_heads=12, intermediate_size=3072)


def small_albert(layers: int = 3, embedding: int = 8, hidden: int = 16) -> AlbertConfig:
    return AlbertConfig(vocab_size=50, embedding_size=embedding, hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=2, intermediate_size=24, max_position_embeddings=20)


# ----------------------------------------------------------------------------------------------
# counting
# ----------------------------------------------------------------------------------------------
def test_embedding_formula_notes_and_bert_base():
    assert al.embedding_parameters(500, 100) == 50_000
    assert al.embedding_parameters(500, 100, 15) == 500 * 15 + 15 * 100 == 9_000   # the notes print 15,000
    assert al.embedding_parameters(30000, 768) == 23_040_000
    assert al.embedding_parameters(30000, 768, 128) == 3_938_304
    real = torch.nn.Sequential(torch.nn.Embedding(500, 15), torch.nn.Linear(15, 100, bias=False))
    assert n_params(real) == al.embedding_parameters(500, 100, 15)


def test_full_size_models_match_the_formula():
    """BERT-base and ALBERT-base built from their configs (on the meta device: shapes, no memory)."""
    with torch.device("meta"):
        bert, albert = BertModel(BertConfig()), AlbertModel(albert_base())
    assert n_params(bert) == sum(al.counts_from_config(bert.config).values()) == 109_482_240
    assert n_params(albert) == sum(al.counts_from_config(albert.config).values()) == 11_683_584
    parts = al.counts_from_config(bert.config)
    assert parts["token embeddings"] + parts["positions, types, LayerNorm"] == n_params(bert.embeddings)
    assert parts["attention"] + parts["feed-forward"] == n_params(bert.encoder)
    assert parts["pooler"] == n_params(bert.pooler)


@given(vocab=st.integers(5, 300), hidden_heads=st.sampled_from([(8, 2), (12, 3), (16, 4)]),
       layers=st.integers(1, 4), ffn=st.integers(1, 40), positions=st.integers(2, 40), types=st.integers(1, 3))
def test_bert_formula_equals_real_bert(vocab, hidden_heads, layers, ffn, positions, types):
    hidden, heads = hidden_heads
    config = BertConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                        intermediate_size=ffn, max_position_embeddings=positions, type_vocab_size=types)
    assert n_params(BertModel(config)) == sum(al.counts_from_config(config).values())


@pytest.mark.parametrize("sharing", al.SHARING)
@pytest.mark.parametrize("embedding,hidden", [(8, 16), (16, 16), (24, 16)])
def test_sharing_variants_equal_the_formula(sharing, embedding, hidden):
    config = small_albert(layers=4, embedding=embedding, hidden=hidden)
    model = al.SharedStackAlbert(config, sharing)
    expected = al.parameter_counts(50, hidden, embedding, 4, sharing, ffn=24, positions=20, projection=True)
    assert n_params(model) == sum(expected.values())
    if embedding == hidden:   # no projection at all, as in the original code when E = H
        plain = al.SharedStackAlbert(config, sharing, projection=False)
        assert n_params(plain) == sum(al.parameter_counts(50, hidden, embedding, 4, sharing, ffn=24,
                                                          positions=20).values())


def test_paper_table4_within_rounding():
    for embedding, row in al.PAPER_TABLE4.items():
        for sharing, paper in row.items():
            with torch.device("meta"):
                model = al.SharedStackAlbert(albert_base(embedding), sharing, projection=embedding != 768)
            total = n_params(model)
            assert total == sum(al.parameter_counts(30000, 768, embedding, 12, sharing).values())
            assert abs(total / 1e6 - paper) < 1.1, (embedding, sharing, total)


def test_paper_table2_average_and_sizes():
    """The paper's average is the mean of its five scores (SQuAD as the mean of F1 and EM), and the
    configurations of MODEL_SIZES give Table 2's parameter counts within rounding and the pooler
    (ALBERT-xxlarge's configuration gives 223M where the paper prints 235M)."""
    assert set(al.PAPER_TABLE2) == set(al.MODEL_SIZES)
    for name, row in al.PAPER_TABLE2.items():
        average = (sum(row["squad11"]) / 2 + sum(row["squad20"]) / 2 + row["mnli"] + row["sst2"] + row["race"]) / 5
        assert abs(average - row["avg"]) <= 0.051, (name, average)
        layers, hidden, heads = al.MODEL_SIZES[name]
        sizes = dict(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads, intermediate_size=4 * hidden)
        with torch.device("meta"):
            model = BertModel(BertConfig(**sizes)) if name.startswith("BERT") else \
                AlbertModel(AlbertConfig(vocab_size=30000, embedding_size=128, **sizes))
        tolerance = 13 if name == "ALBERT-xxlarge" else 1.6
        assert abs(n_params(model) / 1e6 - row["params_m"]) < tolerance, (name, n_params(model))
    assert al.PAPER_TABLE2["BERT-large"]["speedup"] == 1.0   # speed is relative to BERT-large


def test_sharing_saves_parameters_not_flops():
    from torch.utils.flop_counter import FlopCounterMode

    flops, params = {}, {}
    for sharing in al.SHARING:
        with torch.device("meta"):
            stack = al.SharedStackAlbert(small_albert(layers=4), sharing)
            ids = torch.zeros(1, 12, dtype=torch.long)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            stack(ids)
        flops[sharing], params[sharing] = counter.get_total_flops(), n_params(stack)
    assert len(set(flops.values())) == 1 and flops["all-shared"] > 0
    assert params["all-shared"] < params["shared-FFN"] < params["not-shared"]


def test_shared_parts_are_the_same_modules():
    config = small_albert(layers=3)
    attn = al.SharedStackAlbert(config, "shared-attention").layers
    assert attn[2].attention is attn[0].attention and attn[2].ffn is not attn[0].ffn
    ffn = al.SharedStackAlbert(config, "shared-FFN").layers
    assert ffn[2].ffn is ffn[0].ffn and ffn[2].full_layer_layer_norm is ffn[0].full_layer_layer_norm
    assert ffn[2].attention is not ffn[0].attention
    every = al.SharedStackAlbert(config, "all-shared").layers
    assert every[1] is every[0] and len(every) == 3
    none = al.SharedStackAlbert(config, "not-shared").layers
    assert none[1].attention is not none[0].attention and none[1].ffn is not none[0].ffn


def test_all_shared_stack_reproduces_albert_model():
    config = small_albert(layers=3)
    torch.manual_seed(0)
    reference = AlbertModel(config).eval()
    mine = al.SharedStackAlbert(config).load_albert(reference).eval()
    ids = torch.randint(5, 50, (2, 9))
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    types = torch.zeros_like(ids)
    types[:, 5:] = 1
    with torch.no_grad():
        ref = reference(input_ids=ids, attention_mask=mask, token_type_ids=types)
        hidden, pooled = mine(ids, mask, types)
    assert torch.allclose(hidden, ref.last_hidden_state, atol=1e-6)
    assert torch.allclose(pooled, ref.pooler_output, atol=1e-6)
    with pytest.raises(CourseError):
        al.SharedStackAlbert(config, "shared-FFN").load_albert(reference)


def test_block_formulas_add_up_to_notebook_04s_layer():
    for hidden, ffn in ((768, 3072), (128, 512), (16, 24)):
        assert al.attention_parameters(hidden) + al.ffn_parameters(hidden, ffn) == tr.layer_param_formula(hidden, ffn)


def test_owned_blocks():
    assert al.owned_blocks(12, "not-shared") == (12, 12)
    assert al.owned_blocks(12, "shared-attention") == (1, 12)
    assert al.owned_blocks(12, "shared-FFN") == (12, 1)
    assert al.owned_blocks(12, "all-shared") == (1, 1)


@pytest.mark.parametrize("call", [
    lambda: al.embedding_parameters(0, 10),
    lambda: al.embedding_parameters(100, 10, -1),
    lambda: al.embedding_parameters(100.5, 10),
    lambda: al.embedding_parameters(True, 10),
    lambda: al.owned_blocks(12, "half-shared"),
    lambda: al.owned_blocks(0, "all-shared"),
    lambda: al.parameter_counts(100, 16, 8, 2, "all-shared", projection=False),
    lambda: al.SharedStackAlbert(small_albert(), "everything"),
    lambda: al.counts_from_config(AlbertConfig(num_hidden_layers=4, num_hidden_groups=2)),
])
def test_bad_input_raises_course_error(call):
    with pytest.raises(CourseError):
        call()


def test_model_memory_mb():
    assert al.model_memory_mb(torch.nn.Linear(1024, 256, bias=False)) == pytest.approx(1.0)


# ----------------------------------------------------------------------------------------------
# sentence pairs and baselines
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stories():
    corpus = data.course_corpus()
    return [s for _, s in corpus.stories_train], [s for _, s in corpus.stories_test]


def test_sop_pairs_are_consecutive_sentences_in_or_out_of_order(stories):
    train, _ = stories
    pairs = al.sop_pairs(train, random.Random(0))
    assert len(pairs) == sum(len(s) - 1 for s in train)
    consecutive = [(story[j], story[j + 1]) for story in train for j in range(len(story) - 1)]
    for (a, b, label), (first, second) in zip(pairs, consecutive, strict=True):
        # the same story, so topic cannot tell them apart: only the order differs
        assert (a, b) == ((first, second) if label == 0 else (second, first))
    share = sum(label for *_, label in pairs) / len(pairs)
    assert 0.45 < share < 0.55
    assert pairs == al.sop_pairs(train, random.Random(0))
    assert pairs != al.sop_pairs(train, random.Random(1))


def test_word_baselines_are_symmetric():
    overlap = al.OverlapBaseline()
    assert overlap.score("Ben ran home.", "ben ran away") == pytest.approx(2 / 4)
    pairs = [("the cat sat", "the cat ate", 0), ("the dog ran", "a car drove", 1)] * 5
    bayes = al.CooccurrenceBaseline().fit(pairs)
    overlap.fit(pairs)
    for a, b, _ in pairs:
        assert bayes.predict(a, b) == bayes.predict(b, a)
        assert overlap.predict(a, b) == overlap.predict(b, a)
    assert bayes.predict("the cat sat", "the cat ate") == 0 and bayes.predict("the dog ran", "a car drove") == 1
    with pytest.raises(CourseError):
        al.OverlapBaseline().fit([])
    with pytest.raises(CourseError):
        al.CooccurrenceBaseline().fit([("a", "b", 2)])


def test_word_baselines_solve_nsp_not_sop(stories):
    train, test = stories
    table = al.baseline_accuracies(
        {"NSP": nsp_pairs(train, random.Random(0)), "SOP": al.sop_pairs(train, random.Random(0))},
        {"NSP": nsp_pairs(test, random.Random(1)), "SOP": al.sop_pairs(test, random.Random(1))})
    acc = {name: {task: c / n for task, (c, n) in row.items()} for name, row in table.items()}
    assert acc["word co-occurrence (naive Bayes)"]["NSP"] >= 0.9, acc
    assert acc["word overlap (Jaccard + threshold)"]["NSP"] >= 0.55, acc
    for row in acc.values():
        assert 0.44 <= row["SOP"] <= 0.56, acc          # symmetric: order is invisible to them
    with pytest.raises(CourseError):
        al.baseline_accuracies({"NSP": [("a", "b", 0)]}, {"SOP": [("a", "b", 0)]})


@pytest.fixture(scope="module")
def tokenizer():
    return train_wordpiece(data.course_corpus().sentences(english_only=True), vocab_size=1200)


@pytest.fixture
def one_thread():
    """Tiny batches: a second thread only adds contention on a shared CPU (here it made training 30× slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_pair_classifier_learns_and_is_deterministic(tokenizer, stories, one_thread):
    train, test = stories
    pairs = al.sop_pairs(train[:300], random.Random(0))
    config = al.pair_classifier_config(len(tokenizer), hidden=32, layers=1)
    m1, h1 = al.train_pair_classifier(tokenizer, pairs, steps=60, batch=32, config=config)
    m2, h2 = al.train_pair_classifier(tokenizer, pairs, steps=60, batch=32, config=config)
    assert h1.losses == h2.losses
    assert sum(h1.losses[-10:]) < sum(h1.losses[:10])
    acc = al.pair_accuracy(m1, tokenizer, al.sop_pairs(test[:100], random.Random(1)))
    assert 0.0 <= acc <= 1.0
    enc = al.encode_pairs(tokenizer, pairs[:3])
    assert enc["input_ids"].shape[0] == 3 and enc["labels"].tolist() == [p[2] for p in pairs[:3]]
    assert (enc["token_type_ids"][:, 0] == 0).all() and (enc["token_type_ids"].max(1).values == 1).all()


# ----------------------------------------------------------------------------------------------
# widget and exercises
# ----------------------------------------------------------------------------------------------
def test_parameter_calculator_payload():
    p = widgets.parameter_calculator_payload(30000, 768, 128, 12, "all-shared")
    bert, albert = p["models"].values()
    assert sum(bert.values()) == 109_081_344            # V = 30,000, no projection (E = H)
    assert sum(albert.values()) == 11_683_584                  # = AlbertModel(albert-base-v2 config)
    assert p["totals"] == {k: sum(v.values()) for k, v in p["models"].items()}
    assert p["ratio"] == pytest.approx(109_081_344 / 11_683_584)
    assert p["components"] == list(bert) and len(p["components"]) == 6
    same = widgets.parameter_calculator_payload(1000, 64, 64, 2, "not-shared")
    assert same["ratio"] == 1.0
    for bad in (dict(embedding=0), dict(layers=-1), dict(sharing="shared-everything"), dict(vocab_size=2.5)):
        with pytest.raises(CourseError):
            widgets.parameter_calculator_payload(**bad)


def test_parameter_calculator_renders_without_kernel():
    import matplotlib.pyplot as plt

    fig = widgets.draw_parameter_calculator(widgets.parameter_calculator_payload())
    assert fig.axes[0].get_xlabel() and fig.axes[0].get_title()
    plt.close(fig)
    box = widgets.parameter_calculator()
    sliders, out = box.children
    assert len(out.outputs) == 1
    sliders.children[1].children[0].value = 6          # layers
    sliders.children[1].children[1].value = "shared-FFN"
    assert len(out.outputs) == 1


def test_exercise_checkers(capsys):
    s = checks.EXERCISE_XLARGE
    checks.exercise_embedding_params((s["vocab_size"] * s["hidden"],
                                      s["vocab_size"] * s["embedding"] + s["embedding"] * s["hidden"]))
    checks.exercise_embedding_params((s["vocab_size"] * s["hidden"], s["vocab_size"] * s["embedding"]))
    checks.exercise_embedding_params(...)
    checks.exercise_owned_blocks({m: al.owned_blocks(12, m) for m in al.SHARING})
    checks.exercise_owned_blocks({m: (12, 12) for m in al.SHARING})
    checks.exercise_stack_params(12 * al.attention_parameters(768) + al.ffn_parameters(768, 3072))
    checks.exercise_stack_params("many")
    checks.exercise_stack_params(None)
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("correct") and "not quite" in out[1] and "not answered" in out[2]
    assert out[3].endswith("correct") and "not quite" in out[4]
    assert out[5].endswith("correct") and "not quite" in out[6] and "not answered" in out[7]


def test_factorised_embedding_counts_and_shapes():
    module = al.FactorisedEmbedding(500, 15, 100)
    assert n_params(module) == al.embedding_parameters(500, 100, 15) == 9_000
    ids = torch.tensor([[5, 17, 42], [3, 0, 0]])                                # (B, T)
    with torch.no_grad():
        out = module(ids)                                                       # (B, T, H)
        table = module.table.weight @ module.projection.weight.T                # (V, H)
    assert out.shape == (2, 3, 100)
    assert torch.allclose(table[ids], out, atol=1e-6)
    assert int(torch.linalg.matrix_rank(table)) <= 15
    assert n_params(al.FactorisedEmbedding(500, 15, 100, bias=True)) == 9_100
    with pytest.raises(CourseError):
        al.FactorisedEmbedding(500, 0, 100)


def _stack_parameters(layers, hidden, ffn, sharing):
    # an independent solution: build the stack on the meta device and count what it stores
    config = AlbertConfig(vocab_size=10, embedding_size=hidden, hidden_size=hidden, num_hidden_layers=layers,
                          num_attention_heads=1, intermediate_size=ffn)
    with torch.device("meta"):
        stack = al.SharedStackAlbert(config, sharing, projection=False)
    return n_params(stack.layers)


def test_exercise_stack_parameters(capsys):
    from course_utils.checks.nb07 import STACK_CASES, _reference_stack_parameters

    assert all(_stack_parameters(*case) == _reference_stack_parameters(*case) for case in STACK_CASES)
    checks.exercise_stack_parameters(_stack_parameters)
    assert "correct (8 cases" in capsys.readouterr().out

    def assumes_4h(layers, hidden, ffn, sharing):          # wrong: ignores the ffn argument
        return _reference_stack_parameters(layers, hidden, 4 * hidden, sharing)

    checks.exercise_stack_parameters(assumes_4h)
    out = capsys.readouterr().out
    assert "case 5 of 8" in out and "Hint:" in out and "def " not in out

    def stub(layers, hidden, ffn, sharing):
        raise NotImplementedError("write stack_parameters")

    for unfilled in (..., stub):
        checks.reset_hints("stack_parameters")
        checks.exercise_stack_parameters(unfilled)
        out = capsys.readouterr().out
        assert "not written yet" in out and "count how many" in out


# ----------------------------------------------------------------------------------------------
# the course/albert-mini recipe
# ----------------------------------------------------------------------------------------------
def test_albert_mini_recipe_mirrors_bert_mini(tokenizer):
    from course_utils.recipes import albert_mini, bert_mini

    models.load_recipes()
    recipe = models.RECIPES["course/albert-mini"]
    assert set(recipe.loaders) == {"tokenizer", "masked-lm", "pretraining", "encoder"}
    assert recipe.budget_s == models.RECIPES["course/bert-mini"].budget_s   # the same steps, batch and budget
    assert models.REGISTRY["albert-base-v2"].stand_in["masked-lm"] == "course/albert-mini"
    for key, value in bert_mini.SETTINGS.items():   # the same data, model sizes and budget
        assert albert_mini.SETTINGS[key] == value, key
    config = albert_mini.config(len(tokenizer))
    bert = bert_mini.config(len(tokenizer))
    assert config.hidden_size == bert.hidden_size and config.num_hidden_layers == bert.num_hidden_layers
    assert config.embedding_size < config.hidden_size and config.num_hidden_groups == 1
    examples = albert_mini.pretraining_examples(tokenizer)
    reference = bert_mini.pretraining_examples(tokenizer)
    assert len(examples) == len(reference)
    # the same MLM-only fact sentences (with their salient answer positions) ...
    assert sorted(x for x in examples if x.nsp_label == -100) == sorted(x for x in reference if x.nsp_label == -100)
    # ... and as many sentence pairs, half of them swapped
    labelled = [(x.input_ids, x.token_type_ids, x.nsp_label) for x in examples if x.nsp_label != -100]
    assert len(labelled) == sum(1 for x in reference if x.nsp_label != -100)
    assert 0.45 < sum(label for *_, label in labelled) / len(labelled) < 0.55
    # every pair is two consecutive story sentences: in order (label 0) or swapped (label 1)
    def key(text: str) -> str:
        return "".join(text.lower().split())

    positions: dict[str, set[int]] = {}
    for _, story in data.course_corpus().stories_train:
        for j, sentence in enumerate(story):
            positions.setdefault(key(sentence), set()).add(j)
    for ids, types, label in labelled:
        sep = ids.index(tokenizer.sep_token_id)
        a, b = key(tokenizer.decode(ids[1:sep])), key(tokenizer.decode(ids[sep + 1:-1]))
        step = 1 if label == 0 else -1
        assert any(pb - pa == step for pa in positions[a] for pb in positions[b]), (a, b, label)
        assert types[sep + 1] == 1 and types[sep] == 0


@pytest.fixture(scope="module")
def albert_mini_model():
    return models.load("course/albert-mini", task="tokenizer"), models.load("course/albert-mini", task="pretraining")


def test_albert_mini_is_smaller_and_learned_sentence_order(albert_mini_model, stories):
    tok, model = albert_mini_model
    counts = al.counts_from_config(model.config)
    assert n_params(model.albert) == sum(counts.values())
    assert counts["token embeddings"] == len(tok) * model.config.embedding_size
    _, test = stories
    acc = al.pair_accuracy(model, tok, al.sop_pairs(test, random.Random(1)), head="sop_logits")
    assert acc >= 0.7, acc
