"""The course as Colab installs it: a regular (non-editable) wheel, used from a folder with no repository
beside it. Its data files come with it, and a notebook that reads them runs against it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

READ_EVERY_DATA_SET = r'''
import json, sys
import course_utils
from course_utils import data, models
counts = {
    "package": course_utils.__file__,
    "korean_prose_lines": len(data.korean_prose_lines()),
    "natural_sentiment train": len(data.natural_sentiment("train")),
    "natural_sentiment test": len(data.natural_sentiment("test")),
    "natural_sentiment_rows test": len(data.natural_sentiment_rows("test")),
    "course_corpus sentences": len(data.course_corpus().sentences()),
    "lee_corpus": len(data.lee_corpus()),
    "pang_lee_polarity": len(data.pang_lee_polarity()),
    "google_analogies": len(data.google_analogies()),
    "wordsim353": len(data.word_similarity("wordsim353")),
    "simlex999": len(data.word_similarity("simlex999")),
    "kiwipiepy_doc_lines": len(data.kiwipiepy_doc_lines()),
    "distil cache key": models.RECIPES["course/distil-teacher"].cache_key() if models.load_recipes() is None else "",
}
print(json.dumps(counts))
'''


@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory) -> Path:
    """The course's wheel, built from this checkout and installed (without dependencies: they are the
    same as this environment's) into a folder of its own."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp / "dist").glob("course_utils-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(tmp / "site"),
                    str(wheel)], check=True, capture_output=True)
    assert not (tmp / "site" / "course_utils" / "__editable__").exists()
    return tmp / "site"


def _outside_env(site: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(site), "COURSE_MODELS": "local", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def _read_every_data_set(cwd: Path, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", READ_EVERY_DATA_SET], cwd=cwd, env=env, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_wheel_carries_the_data_and_every_loader_reads_it(wheel_site, tmp_path):
    installed = _read_every_data_set(tmp_path, _outside_env(wheel_site))
    checkout = _read_every_data_set(ROOT, {**os.environ, "COURSE_MODELS": "local"})
    assert installed.pop("package").startswith(str(wheel_site))        # the installed copy, not the checkout
    assert checkout.pop("package").startswith(str(ROOT))
    assert installed == checkout                                        # the same data, the same cache key
    assert installed["korean_prose_lines"] > 500 and installed["natural_sentiment test"] == 260


def test_notebook_03_runs_against_the_wheel_in_an_empty_folder(wheel_site, tmp_path):
    """Notebook 03 reads the course's Korean prose: the notebook Colab failed on before the data shipped."""
    nb = tmp_path / "03_subword_tokenizers.ipynb"
    shutil.copy(ROOT / "notebooks" / nb.name, nb)
    script = ("import nbformat, sys\nfrom nbclient import NotebookClient\n"
              f"nb = nbformat.read({str(nb)!r}, as_version=4)\n"
              f"NotebookClient(nb, timeout=900, kernel_name='python3', resources={{'metadata': {{'path': {str(tmp_path)!r}}}}}).execute()\n"
              "print('ran', sum(c.cell_type == 'code' for c in nb.cells), 'code cells')\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=_outside_env(wheel_site),
                         capture_output=True, text=True)
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    assert "ran" in out.stdout
