# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The workspace file the app and the commands below use, the app's port, and (optional) your council's name.
WORKSPACE ?= data/workspace.duckdb
PORT ?= 8501
COUNCIL ?=

.PHONY: run new sample-workspace remove-sample test bench lint sample-data clean help

help:
	@echo "make run [WORKSPACE=path] [PORT=8501] [COUNCIL=\"Name\"]"
	@echo "               create .venv, install, start the app on the workspace (an empty one is created, and the"
	@echo "               app offers the sample or your council's workspace); with COUNCIL, start it as that"
	@echo "               council's empty workspace first"
	@echo "make new COUNCIL=\"Name\" [WORKSPACE=path]   an empty workspace with your council's name"
	@echo "make sample-workspace [WORKSPACE=path]       the fictional sample council's workspace"
	@echo "make remove-sample [WORKSPACE=path]          take the sample's files, plan and supplier list out"
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

# The council's name reaches the shell through the environment, so quotes and apostrophes in it are safe.
run new: export SP_NEW_COUNCIL := $(COUNCIL)

run: $(VENV)/.installed
	@mkdir -p "$(dir $(WORKSPACE))"
	@if [ -n "$$SP_NEW_COUNCIL" ]; then $(BIN)/python -m sp_analysis new --workspace "$(WORKSPACE)" --council "$$SP_NEW_COUNCIL"; fi
	SP_WORKSPACE="$(WORKSPACE)" $(BIN)/python -m streamlit run app.py --server.port $(PORT)

new: $(VENV)/.installed
	@if [ -z "$$SP_NEW_COUNCIL" ]; then echo 'usage: make new COUNCIL="Your Council Name" [WORKSPACE=path]'; exit 2; fi
	@mkdir -p "$(dir $(WORKSPACE))"
	$(BIN)/python -m sp_analysis new --workspace "$(WORKSPACE)" --council "$$SP_NEW_COUNCIL"

sample-workspace: $(VENV)/.installed
	@mkdir -p "$(dir $(WORKSPACE))"
	$(BIN)/python -m sp_analysis sample --workspace "$(WORKSPACE)"

remove-sample: $(VENV)/.installed
	$(BIN)/python -m sp_analysis remove-sample --workspace "$(WORKSPACE)"

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
