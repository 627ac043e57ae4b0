"""The model registry: real packaged models give real outputs; errors name the fix; recipes cache."""

from pathlib import Path

import pytest
import torch

from course_utils import CourseError, models


def test_minilm_is_a_real_bert_encoder_with_attentions(minilm):
    tok, enc = minilm
    assert type(enc).__name__ == "BertModel"
    assert (enc.config.num_hidden_layers, enc.config.hidden_size, enc.config.num_attention_heads) == (6, 384, 12)
    assert tok.vocab_size == 30_522
    batch = tok(["The cat sat on the mat.", "A dog barked."], padding=True, return_tensors="pt")
    with torch.no_grad():
        out = enc(**batch, output_attentions=True)
    assert len(out.attentions) == 6 and out.attentions[0].shape[:2] == (2, 12)
    # real pretrained weights: related sentences are closer than unrelated ones
    emb = _mean_pool(tok, enc, ["A cat is sitting on a mat.", "The kitten sat on the rug.", "Stock markets fell sharply."])
    cos = torch.nn.functional.cosine_similarity
    assert cos(emb[0], emb[1], dim=0) > cos(emb[0], emb[2], dim=0) + 0.3


def _mean_pool(tok, enc, sentences):
    batch = tok(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = enc(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1)
    return (hidden * mask).sum(1) / mask.sum(1)


def test_gpt2_tokenizer_is_the_real_bpe(gpt2_tok):
    assert len(gpt2_tok) == 50_257
    assert gpt2_tok("hello <|endoftext|>")["input_ids"] == [31373, 220, 50256]
    text = "하루 커피 최소 3잔은 마셔야 살 수 있어. 🙂 def f(x): return 42"
    assert gpt2_tok.decode(gpt2_tok(text)["input_ids"]) == text


def test_bert_base_uncased_tokenizer_is_served_locally():
    tok = models.load("bert-base-uncased", task="tokenizer")
    assert tok.tokenize("unbelievable tokenization") == ["unbelievable", "token", "##ization"]


def test_smollm2_completes_a_prompt():
    tok = models.load(models.SMOLLM2, task="tokenizer")
    lm = models.load(models.SMOLLM2, task="causal-lm")
    assert sum(p.numel() for p in lm.parameters()) == 134_515_008
    batch = tok("The capital of France is", return_tensors="pt")
    with torch.no_grad():
        out = lm.generate(**batch, max_new_tokens=5, do_sample=False)
    assert "Paris" in tok.decode(out[0][batch["input_ids"].shape[1]:])


def test_glove_analogy(glove):
    assert len(glove) == 400_000 and glove.vector_size == 50
    assert glove.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"


def test_load_announces_what_it_used_once(capsys):
    models._announced.discard(("gpt2", "tokenizer", "local"))
    models.load("gpt2", task="tokenizer")
    models.load("gpt2", task="tokenizer")
    out = capsys.readouterr().out
    assert out.count("local: gpt2 [tokenizer]") == 1


def test_unknown_name_lists_known_models():
    with pytest.raises(CourseError, match=r"unknown model 'bert-base-uncasd'\. Did you mean 'bert-base-uncased'\?.*Known models: \["):
        models.load("bert-base-uncasd", task="tokenizer")


def test_unknown_task_lists_tasks():
    with pytest.raises(CourseError, match=r"unknown task 'generate'; choose one of \[.*'causal-lm'"):
        models.load("gpt2", task="generate")


def test_task_the_model_does_not_offer():
    with pytest.raises(CourseError, match=r"'glove-6B-50d' has no 'causal-lm'; it offers \['vectors'\]"):
        models.load(models.GLOVE, task="causal-lm")


@pytest.mark.parametrize("name,task,stand_in", [
    ("gpt2", "causal-lm", "HuggingFaceTB/SmolLM2-135M-Instruct"),
    ("bert-base-uncased", "encoder", "sentence-transformers/all-MiniLM-L6-v2"),
    ("albert-base-v2", "masked-lm", "course/albert-mini"),
    ("google/electra-small-discriminator", "pretraining", "course/electra-mini"),
    ("distilbert-base-uncased", "encoder", "course/distil-student"),
    ("distilbert-base-uncased", "sequence-classification", "course/distil-student"),
])
def test_hub_only_model_in_local_mode_names_its_stand_in_and_hub_mode(name, task, stand_in):
    with pytest.raises(CourseError) as err:
        models.load(name, task=task)
    msg = str(err.value)
    assert "Hub-only" in msg and stand_in in msg and "COURSE_MODELS=hub" in msg


def test_unknown_mode_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_MODELS", "remote")
    with pytest.raises(CourseError, match="'remote' is not a model mode"):
        models.load("gpt2", task="tokenizer")


def test_hub_mode_really_asks_the_hub_for_the_id(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_MODELS", "hub")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache: nothing to fall back on
    with pytest.raises(CourseError, match=r"hub mode: asked the Hugging Face Hub for 'bert-base-uncased' \(masked-lm\)"):
        models.load("bert-base-uncased", task="masked-lm")


def test_hub_mode_calls_from_pretrained_with_the_hub_id(monkeypatch):
    import transformers

    calls = []

    class Fake:
        @classmethod
        def from_pretrained(cls, hub_id, **kwargs):
            calls.append((hub_id, kwargs))
            return "model"

    monkeypatch.setenv("COURSE_MODELS", "hub")
    monkeypatch.setattr(transformers, "AutoModel", Fake)
    assert models.load(models.MINILM, task="encoder") == "model"
    assert calls == [(models.MINILM, {"attn_implementation": "eager"})]


def test_model_table_has_all_three_kinds():
    rows = models.model_table()
    kinds = {r["kind"] for r in rows}
    assert kinds == {"packaged", "course", "hub-only"}
    assert all(r["license"] and r["size"] for r in rows)


# ---------------------------------------------------------------------------------------------
# course-model recipes
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def tiny_recipe(tmp_path, monkeypatch):
    """A real (tiny) trained model: a linear map fitted to the corpus' sentence lengths."""
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    builds = []

    def build(folder: Path) -> None:
        builds.append(folder)
        torch.manual_seed(0)
        layer = torch.nn.Linear(1, 1)
        opt = torch.optim.SGD(layer.parameters(), lr=0.1)
        x = torch.linspace(0, 1, 32).unsqueeze(1)
        for _ in range(200):
            loss = ((layer(x) - 2 * x) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        torch.save(layer.state_dict(), folder / "layer.pt")

    def load_layer(folder: Path):
        layer = torch.nn.Linear(1, 1)
        layer.load_state_dict(torch.load(folder / "layer.pt"))
        return layer

    recipe = models.Recipe("course/test-linear", 1, build, {"encoder": load_layer},
                           models.Card("test", "2 parameters", "tests", "MIT"), budget_s=5)
    models.register_recipe(recipe)
    yield recipe, builds
    models.RECIPES.pop(recipe.name, None)
    models.REGISTRY.pop(recipe.name, None)


def test_course_model_is_built_once_then_served_from_cache(tiny_recipe, capsys):
    recipe, builds = tiny_recipe
    layer = models.load("course/test-linear", task="encoder")
    assert abs(layer.weight.item() - 2.0) < 0.2
    again = models.load("course/test-linear", task="encoder")
    assert len(builds) == 1 and torch.equal(layer.weight, again.weight)
    assert "built course/test-linear" in capsys.readouterr().out
    assert (recipe.folder() / "DONE").exists()


def test_cache_key_changes_with_recipe_version_and_corpus(tiny_recipe, monkeypatch):
    recipe, _ = tiny_recipe
    key = recipe.cache_key()
    bumped = models.Recipe(recipe.name, 2, recipe.build, recipe.loaders, recipe.card, recipe.budget_s)
    assert bumped.cache_key() != key
    from course_utils import data

    corpus = data.course_corpus()
    monkeypatch.setattr(type(corpus), "sha256", property(lambda self: "a-changed-corpus"))
    assert recipe.cache_key() != key


def test_cache_key_changes_with_a_data_file_the_recipe_reads(tiny_recipe, tmp_path, monkeypatch):
    recipe, _ = tiny_recipe
    from course_utils import data

    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    (tmp_path / "labels.tsv").write_text("a\t1\n")
    reads = models.Recipe(recipe.name, 1, recipe.build, recipe.loaders, recipe.card, recipe.budget_s,
                          data_files=("labels.tsv",))
    key = reads.cache_key()
    assert key != recipe.cache_key()                       # the file's bytes are part of the key
    (tmp_path / "labels.tsv").write_text("a\t0\n")       # one label corrected
    assert reads.cache_key() != key
    (tmp_path / "labels.tsv").unlink()
    with pytest.raises(CourseError, match="labels.tsv, which is missing"):
        reads.cache_key()


def test_build_all_builds_every_recipe(tiny_recipe, monkeypatch):
    recipe, builds = tiny_recipe
    monkeypatch.setattr(models, "RECIPES", {recipe.name: recipe})
    rows = models.build_all()
    assert [r[0] for r in rows] == ["course/test-linear"] and len(builds) == 1


def test_word2vec_course_model_learns_the_toy_world(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    kv = models.load("course/word2vec-sgns", task="vectors")
    assert kv.most_similar(positive=["queen", "prince"], negative=["king"], topn=3)[0][0] == "princess"
    assert kv.similarity("paris", "berlin") > kv.similarity("paris", "banana")


def test_recipe_names_must_start_with_course():
    with pytest.raises(CourseError, match="start with 'course/'"):
        models.register_recipe(models.Recipe("bert-mini", 1, lambda f: None, {}, models.Card("", "", "", ""), 1))
