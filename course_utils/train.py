"""Small, readable training loops with a progress bar and a loss history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .errors import CourseError


@dataclass
class History:
    """Losses recorded during training, one per step (and optional named extras)."""

    losses: list[float] = field(default_factory=list)
    extras: dict[str, list[float]] = field(default_factory=dict)

    def smoothed(self, window: int = 20) -> np.ndarray:
        """Moving average of the losses (``window`` steps), for a readable curve."""
        if not self.losses:
            return np.array([])
        window = max(1, min(window, len(self.losses)))
        kernel = np.ones(window) / window
        return np.convolve(self.losses, kernel, mode="valid")


def fit(step: Callable[[int], float | dict[str, float]], steps: int, *, desc: str = "training",
        history: History | None = None, update_every: int = 10) -> History:
    """Call ``step(i)`` for ``i`` in ``range(steps)`` under a tqdm bar; record what it returns.

    ``step`` runs one optimisation step and returns the loss (a float), or a dict whose ``"loss"`` key
    is the loss and whose other keys are recorded in ``history.extras``.
    """
    if steps <= 0:
        raise CourseError(f"steps must be positive, got {steps}")
    history = history or History()
    bar = tqdm(total=steps, desc=desc, leave=False)
    for i in range(steps):
        out = step(i)
        if isinstance(out, dict):
            loss = float(out["loss"])
            for key, value in out.items():
                if key != "loss":
                    history.extras.setdefault(key, []).append(float(value))
        else:
            loss = float(out)
        if not np.isfinite(loss):
            raise CourseError(f"the loss became {loss} at step {i}: lower the learning rate")
        history.losses.append(loss)
        if i % update_every == 0 or i == steps - 1:
            bar.set_postfix(loss=f"{np.mean(history.losses[-update_every:]):.3f}", refresh=False)
        bar.update()
    bar.refresh()   # the final count: the last steps may fall between the bar's redraws, and a closed bar is not redrawn
    bar.close()
    return history
