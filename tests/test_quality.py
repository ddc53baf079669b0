"""The quality floors of `tools/floors.json` hold on every dev set (floors only ever rise).

The project's own pages live in `fixtures/`; third-party sets are read from `../shared/corpus`
and skipped, with the reason, where it is absent. Only our extractor runs here (the baselines
are `make eval`'s).
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.quality

FLOORS: dict[str, dict[str, float]] = json.loads((ROOT / "tools" / "floors.json").read_text())


def _evaluate() -> Any:
    spec = importlib.util.spec_from_file_location("evaluate", ROOT / "tools" / "evaluate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EVALUATE = _evaluate()


def test_every_set_has_floors() -> None:
    assert sorted(FLOORS) == sorted(EVALUATE.SETS)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_floor(name: str) -> None:
    if not EVALUATE.available(name):
        pytest.skip(f"{EVALUATE.SETS[name][0]} is absent (third-party sets are read from ../shared/corpus)")
    report = {name: {"ours": EVALUATE.score_set(name)}}
    assert EVALUATE.check_floors(report, {name: FLOORS[name]}) == []
