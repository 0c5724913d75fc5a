# make run: set up and start the service on the embedded default (SQLite under ./.creditbank/).
# make test: set up and run every check (ruff, mypy strict, pytest).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamps depend on pyproject.toml, so a second run installs nothing when nothing changed.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck pytest bench openapi schemas clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/creditbank db upgrade
	$(BIN)/creditbank serve

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks

# Regenerate the committed contracts (the drift tests say when this is needed).
openapi schemas: $(DEV_STAMP)
	$(BIN)/python -m schemas.export
	$(BIN)/python -m api.export_openapi

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
