"""tools/execute_notebooks.py: widget state is stripped, and a progress bar keeps its final text."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
execute_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute_notebooks)

VIEW = "application/vnd.jupyter.widget-view+json"


def _bar_notebook(value: float, total: float) -> nbformat.NotebookNode:
    def model(name: str, **state):
        return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("for i in tqdm(range(50)): ...")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "text/plain": "demo:   0%|          | 0/50 [00:00<?, ?it/s]", VIEW: {"model_id": "box"}}),
        nbformat.v4.new_output("display_data", data={VIEW: {"model_id": "slider"}})]
    nb.cells = [cell]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {
        "box": model("HBoxModel", children=["IPY_MODEL_pre", "IPY_MODEL_bar", "IPY_MODEL_post"]),
        "pre": model("HTMLModel", value="demo:\u2007100%"),
        "bar": model("FloatProgressModel", value=value, max=total),
        "post": model("HTMLModel", value="\u200750/50\u2007[00:01&lt;00:00,\u200737it/s]"),
        "slider": model("IntSliderModel", value=3)}}}
    return nb


def test_a_finished_bar_shows_its_final_state_and_widget_state_is_dropped():
    nb = _bar_notebook(50, 50)
    execute_notebooks.strip_widget_state(nb)
    assert "widgets" not in nb.metadata
    outputs = nb.cells[0].outputs
    assert len(outputs) == 1                                   # a widget with no text fallback is dropped
    assert outputs[0]["data"] == {"text/plain": "demo: 100%|██████████| 50/50 [00:01<00:00, 37it/s]"}


def test_a_bar_stopped_half_way_is_drawn_half_full():
    nb = _bar_notebook(25, 50)
    execute_notebooks.strip_widget_state(nb)
    assert "|█████     |" in nb.cells[0].outputs[0]["data"]["text/plain"]
