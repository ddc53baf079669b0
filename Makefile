# Every target creates .venv itself (python3 -m venv + pip install -e '.[dev]').
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test quick lint types pytest browser eval bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pipeline demo

test: $(STAMP) lint types browser pytest

# the inner loop: lint, types and the unit tests (no browser install, no quality floors, no slow crawl tests)
quick: $(STAMP) lint types
	$(BIN)/pytest -m 'not slow and not quality and not browser'

browser:
	bash tools/install-browser.sh

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests tools

types: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

eval: $(STAMP)
	$(BIN)/python tools/evaluate.py --baselines --floors tools/floors.json --json output/eval.json

bench: $(STAMP)
	$(BIN)/python tools/bench.py

clean:
	rm -rf $(VENV) output/*.db output/*.db-* .mypy_cache .pytest_cache .ruff_cache
