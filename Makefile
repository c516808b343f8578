# crmlab — `make help` lists the targets. `make reports` and `make test` set everything up.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAMPLE := data/sample/crmlab.json
KERNEL := crmlab
# pytest caches its assert-rewritten test modules as .pyc files (3 s per worker on the next
# run), but not where PYTHONDONTWRITEBYTECODE is set, as it is on some machines
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest

.PHONY: help setup sample-data reports test test-fast lint format lab bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name 'Python (crmlab)' >/dev/null
	@touch $(STAMP)

setup: $(STAMP) ## create .venv, install crmlab with dev tools, register the `crmlab` Jupyter kernel

$(SAMPLE): | $(STAMP)
	$(VENV)/bin/crmlab data generate data/sample --customers 20000 --random-state 0

sample-data: $(SAMPLE) ## generate the synthetic sample data set into data/sample (if missing)

reports: $(STAMP) $(SAMPLE) ## run every notebook in reports.yaml; writes reports/index.html
	$(VENV)/bin/crmlab reports run

test: $(STAMP) $(SAMPLE) ## lint, format check, and the whole test suite (unit, notebooks, end-to-end)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# compiled once here: every test worker and report kernel then skips compiling crmlab
	@# (PYTHONDONTWRITEBYTECODE, set on some machines, would make each one compile it anew)
	@$(PY) -m compileall -q crmlab
	$(PYTEST) -n 2 $(PYTEST_ARGS)

test-fast: $(STAMP) ## daily lane: lint and unit tests, without notebooks, browser and `slow` tests
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@$(PY) -m compileall -q crmlab
	@# no nbval here: its plugin imports nbformat, 1.7 s in each pytest process; so pyproject's
	@# addopts without its --nbval options
	$(PYTEST) -n 2 tests -m "not slow and not notebook and not browser" \
		-p no:nbval -o addopts="-ra --strict-markers --dist loadfile" $(PYTEST_ARGS)

lint: $(STAMP) ## ruff lint + format check only
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(STAMP) ## apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

lab: $(STAMP) $(SAMPLE) ## open JupyterLab on the notebooks (kernel: crmlab)
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP) ## run the benchmarks in bench/ (prints ratios against peers)
	$(PY) bench/customer_summary.py
	$(PY) bench/synth.py
	$(PY) bench/reports.py
	$(PY) bench/segmentation.py
	$(PY) bench/clv.py
	$(PY) bench/clv_bayes.py
	$(PY) bench/experiment.py
	$(PY) bench/sequential.py
	$(PY) bench/uplift.py
	$(PY) bench/churn.py
	$(PY) bench/voice.py
	$(PY) bench/basket.py
	$(PY) bench/journeys.py
	$(PY) bench/identity.py
	$(PY) bench/pii_gate.py
	$(PY) bench/import.py
	$(PY) bench/startup.py
	$(PY) bench/kernels.py
	$(PY) bench/spark.py

clean: ## remove generated reports, sample data and caches (keeps .venv)
	rm -rf reports/* data/sample .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## also remove the virtual environment
	rm -rf $(VENV)
