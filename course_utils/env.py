"""The learner's environment: seeding, device choice, Colab/offline detection and a banner."""

from __future__ import annotations

import os
import platform
import random
import socket
import sys
from importlib import metadata

import numpy as np

from .errors import CourseError

MODES = ("local", "hub")


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and torch (CPU and, where present, GPU) so a notebook reruns identically."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device, without initialising CUDA on a CPU machine
    os.environ["PYTHONHASHSEED"] = str(seed)


def pick_device(prefer: str | None = None) -> str:
    """``"cuda"``, ``"mps"`` or ``"cpu"``: the best available, or ``prefer`` if it is available.

    CUDA is only queried when torch was built with it, so a CPU machine never touches CUDA APIs.
    """
    import torch

    available = ["cpu"]
    if torch.backends.cuda.is_built() and torch.cuda.is_available():
        available.insert(0, "cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        available.insert(0, "mps")
    if prefer is None:
        return available[0]
    if prefer not in ("cpu", "cuda", "mps"):
        raise CourseError(f"unknown device {prefer!r}; choose 'cpu', 'cuda' or 'mps'")
    if prefer not in available:
        raise CourseError(f"device {prefer!r} is not available here; available: {available}")
    return prefer


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def is_offline(timeout: float = 0.5) -> bool:
    """True if the Hugging Face Hub is unreachable or ``HF_HUB_OFFLINE`` is set (never blocks long)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes"):
        return True
    try:
        socket.create_connection(("huggingface.co", 443), timeout=timeout).close()
    except OSError:
        return True
    return False


def model_mode() -> str:
    """The model mode from ``COURSE_MODELS``: ``local`` (the default, offline) or ``hub``."""
    mode = os.environ.get("COURSE_MODELS", "").strip().lower() or "local"
    if mode not in MODES:
        raise CourseError(
            f"COURSE_MODELS={mode!r} is not a model mode: set it to 'local' (the default: packaged "
            "and course-trained models, no network) or 'hub' (the full-size checkpoints from the "
            "Hugging Face Hub), e.g. os.environ['COURSE_MODELS'] = 'local'"
        )
    return mode


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def banner_text() -> str:
    """Where the learner is: versions, device, threads, model mode (the text ``banner`` prints)."""
    import torch

    lines = [
        f"python {platform.python_version()} · torch {torch.__version__} · transformers "
        f"{_version('transformers')} · course_utils {_version('course_utils')}",
        f"device: {pick_device()} ({torch.get_num_threads()} CPU threads) · "
        f"{'Google Colab' if in_colab() else platform.system()}",
        f"model mode: {model_mode()} (set COURSE_MODELS=hub for the full-size Hub checkpoints)",
    ]
    if pick_device() == "cpu":
        lines.append("no GPU: every notebook is sized for 2 CPU cores, so that is fine")
    return "\n".join(lines)


def banner() -> None:
    """Print the banner: the first output of every notebook."""
    print(banner_text())
