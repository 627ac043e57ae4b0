import math

import numpy as np
import pytest
import torch

from course_utils import CourseError, train


def test_fit_trains_a_real_model_and_records_every_step():
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(i):
        loss = torch.nn.functional.mse_loss(model(x).squeeze(-1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss.item(), "weight0": model.weight[0, 0].item()}

    history = train.fit(step, 200, desc="linear")
    assert len(history.losses) == 200 and len(history.extras["weight0"]) == 200
    assert history.losses[-1] < 1e-3 < history.losses[0]
    assert abs(history.extras["weight0"][-1] - 1.0) < 0.05


def test_smoothed_is_a_moving_average():
    h = train.History(losses=[4.0, 2.0, 0.0, 2.0])
    np.testing.assert_allclose(h.smoothed(2), [3.0, 1.0, 1.0])
    assert train.History().smoothed().size == 0


def test_fit_stops_on_a_diverging_loss_and_bad_steps():
    with pytest.raises(CourseError, match="lower the learning rate"):
        train.fit(lambda i: math.inf if i == 3 else 1.0, 10)
    with pytest.raises(CourseError, match="steps must be positive"):
        train.fit(lambda i: 1.0, 0)
