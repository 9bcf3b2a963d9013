# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WORKSPACE ?= data/workspace.duckdb
PORT ?= 8501

.PHONY: run test bench lint sample-data workspace clean help

help:
	@echo "make run     create .venv, install, build the sample workspace if missing, start the app"
	@echo "make test    create .venv, install dev tools, run the whole test suite"
	@echo "make bench   run the benchmark (figures recorded in README)"
	@echo "make lint    ruff and mypy"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.installed $@

$(WORKSPACE): | $(VENV)/.installed
	$(BIN)/python -m sp_analysis sample --workspace $(WORKSPACE)

workspace: $(WORKSPACE)

run: $(VENV)/.installed $(WORKSPACE)
	SP_WORKSPACE=$(WORKSPACE) $(BIN)/python -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/run.py --queries

lint: $(VENV)/.dev-installed
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy sp_analysis views app.py

sample-data: $(VENV)/.installed
	$(BIN)/python sample_data/generate.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
