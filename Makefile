# make run: set up and start the service on the embedded default (SQLite under ./.creditbank/).
# make test: set up and run every check (ruff, mypy strict, pytest).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamps depend on pyproject.toml, setup.py and the sources mypyc compiles (setup.py), so a
# second run installs nothing when nothing changed and an edited hot module is compiled again.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
COMPILED_SOURCES := creditbank/imports/row_core.py creditbank/imports/csv_rows.py \
	creditbank/imports/classify.py creditbank/imports/seen.py creditbank/ledger/outcome_bytes.py

.PHONY: run test lint typecheck pytest bench openapi schemas clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml setup.py $(COMPILED_SOURCES) | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml setup.py $(COMPILED_SOURCES) | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/creditbank db upgrade
	$(BIN)/creditbank serve

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	# Two processes: most tests wait on a database or a child process, and every test has its
	# own database, server and port, so they run side by side (half the time on two cores).
	$(BIN)/python -m pytest -n 2
	# The import path again with its compiled modules off: the pure modules are the reference
	# the compiled ones are held to, and what runs where no compiler was found.
	CREDITBANK_PURE_PYTHON=1 $(BIN)/python -m pytest -q -n 2 tests/imports tests/test_compiled.py

bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks

# Regenerate the committed contracts (the drift tests say when this is needed).
openapi schemas: $(DEV_STAMP)
	$(BIN)/python -m schemas.export
	$(BIN)/python -m api.export_openapi

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis build
	find creditbank -name '*.so' -delete
	rm -f creditbank/compiled_sources.json
