import pytest
import torch

from course_utils import CourseError, env


def test_seed_everything_makes_runs_repeat():
    env.seed_everything(123)
    a = torch.rand(5)
    env.seed_everything(123)
    b = torch.rand(5)
    env.seed_everything(124)
    c = torch.rand(5)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_pick_device_on_this_machine_is_cpu_and_rejects_unknown():
    assert env.pick_device() in ("cpu", "cuda", "mps")
    assert env.pick_device("cpu") == "cpu"
    with pytest.raises(CourseError, match="unknown device 'tpu'"):
        env.pick_device("tpu")


def test_not_colab_here():
    assert env.in_colab() is False


def test_offline_detection_honours_hf_hub_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert env.is_offline() is True


def test_model_mode_default_hub_and_bad(monkeypatch):
    monkeypatch.delenv("COURSE_MODELS")
    assert env.model_mode() == "local"
    monkeypatch.setenv("COURSE_MODELS", "HUB")
    assert env.model_mode() == "hub"
    monkeypatch.setenv("COURSE_MODELS", "cloud")
    with pytest.raises(CourseError, match="'cloud' is not a model mode.*'local'.*'hub'"):
        env.model_mode()


def test_banner_names_versions_device_and_mode(capsys):
    env.banner()
    out = capsys.readouterr().out
    assert f"torch {torch.__version__}" in out
    assert "device: cpu" in out or "device: cuda" in out
    assert "model mode: local" in out
