# Thin wrappers; every target installs what it needs first (idempotent).
#   make lab      install and open the course in JupyterLab (local model mode)
#   make test     install and run the whole test suite (unit tests + every notebook + browser test)
#   make execute  re-execute every notebook in a fresh kernel for commit (strips widget state)
#   make models   build (train and cache) every course model, printing each build's time
#   make bench    benchmarks: notebook run times and peak memory, word2vec speed, the distillation table
#   make student  learner copies of the notebooks (solutions removed) in student/ (committed)
#   make sync     rewrite the notebooks' twin cells (# twin: course_utils.X) from the package
#   make compat   the unit tests and notebook 06 on Python 3.12 with the newest transformers and at the floor
#   make lint     ruff over the package, tests, tools and benchmarks
#   make book     the course as a static website in build/book/html (Sphinx + myst-nb; offline, nothing re-run)
#   make slides   reveal.js decks in build/slides (all notebooks, or one: make slides NB=04); offline
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.course-installed
export COURSE_MODELS ?= local
NB ?=

.PHONY: setup lab test execute models bench student sync compat lint book slides

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[offline,dev]"
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

test: setup
	$(PY) -m pytest tests notebooks student --nbval-lax --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg

execute: setup
	$(PY) tools/execute_notebooks.py notebooks/*.ipynb

models: setup
	$(PY) -m course_utils.build_models

bench: setup
	$(PY) benchmarks/notebook_times.py
	$(PY) benchmarks/word2vec_speed.py
	$(PY) benchmarks/distill_speed.py

student: setup
	$(PY) -m course_utils.student notebooks student

sync: setup
	$(PY) -m course_utils.twins write

compat:
	bash tools/compat.sh

lint: setup
	$(VENV)/bin/ruff check course_utils tests tools benchmarks

# reveal.js and MathJax come from npm (package-lock.json); the build scripts run `npm ci` when needed
book: setup
	$(PY) tools/build_book.py

slides: setup
	$(PY) tools/build_slides.py $(NB)
