"""The quality floors of `tools/floors.json` hold on the corpus (floors only ever rise)."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest

from .conftest import FIXTURES, ROOT

pytestmark = pytest.mark.quality

FLOORS: dict[str, dict[str, float]] = json.loads((ROOT / "tools" / "floors.json").read_text())
FOLDERS = {"seed": FIXTURES / "seed", "pages": FIXTURES / "pages", "fanwen-extra": FIXTURES / "fanwen-extra", **{p.name: p for p in (FIXTURES / "corpus").iterdir() if p.is_dir()}}


def _evaluate() -> Any:
    spec = importlib.util.spec_from_file_location("evaluate", ROOT / "tools" / "evaluate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("folder", sorted(FLOORS))
def test_floor(folder: str) -> None:
    evaluate = _evaluate()
    summary, rows = evaluate.run(FOLDERS[folder], evaluate.ours)
    for key, floor in FLOORS[folder].items():
        if key == "leaks":
            assert summary[key] <= floor, (key, [r["leaks"] for r in rows if r["leaks"]])
        else:
            assert summary[key] >= floor, (key, summary[key], floor)
