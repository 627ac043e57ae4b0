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
