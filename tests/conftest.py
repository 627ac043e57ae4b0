"""Shared fixtures: the suite runs in local model mode and loads each real model once."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("COURSE_MODELS", "local")


@pytest.fixture(autouse=True)
def _local_mode(monkeypatch):
    """Every test starts in local mode unless it changes the mode itself."""
    monkeypatch.setenv("COURSE_MODELS", "local")


@pytest.fixture(scope="session")
def minilm():
    from course_utils import models

    return models.load(models.MINILM, task="tokenizer"), models.load(models.MINILM, task="encoder")


@pytest.fixture(scope="session")
def gpt2_tok():
    from course_utils import models

    return models.load("gpt2", task="tokenizer")


@pytest.fixture(scope="session")
def glove():
    from course_utils import models

    return models.load(models.GLOVE, task="vectors")


# Property tests: no deadline (2 shared CPU cores), and derandomised in CI so a run is repeatable.
try:
    from hypothesis import settings

    settings.register_profile("course", deadline=None)
    settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
    settings.load_profile("ci" if os.environ.get("CI") else "course")
except ImportError:  # hypothesis is part of the [dev] extra
    pass
