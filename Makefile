# podcalc: `make run` serves the API, `make test` runs every check CI runs.
# Both create .venv and install what they need on a fresh machine (Python 3.11+).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8080
HOST   ?= 127.0.0.1
CHROMIUM := /usr/bin/chromium

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck unit fmt clean bench load-test profile

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-17s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

# Each set of extras installs on top of the run's, one pip at a time (make -j would
# otherwise run two pips into the same venv at once).
$(VENV)/.dev-deps: pyproject.toml constraints.txt $(VENV)/.run-deps | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps ## install and serve on http://$(HOST):$(PORT) (make run PORT=9000)
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) 'api.wsgi:app'

test: $(VENV)/.dev-deps lint typecheck unit ## install, then lint, type-check and run the tests, as CI does

lint: $(VENV)/.dev-deps ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-deps ## mypy --strict on every package, the tests and gunicorn.conf.py
	$(BIN)/mypy

# One layer's tests alone: make unit LAYER=calc (calc, manifests, http, cli, browser, project).
unit: $(VENV)/.dev-deps $(CHROMIUM) ## the pytest suite (LAYER=calc runs one layer's tests)
	$(BIN)/pytest -q $(if $(LAYER),-m $(LAYER))

# Debian's Chromium, which the dashboard's browser tests drive through Playwright (Playwright
# never downloads a browser of its own here). Installed only when missing.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(VENV)/.bench-deps: pyproject.toml constraints.txt $(VENV)/.dev-deps | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $@ $(VENV)/.dev-deps $(VENV)/.run-deps

bench: $(VENV)/.bench-deps ## run the benchmarks (installs wrk with apt-get if missing; a few minutes)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.run

profile: $(VENV)/.bench-deps ## where an HTTP request's time goes, podcalc beside the bare endpoint (py-spy; about 80 s)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.profile

load-test: $(VENV)/.bench-deps ## sustained load, a worker killed mid-load, memory over a long run (about 2 minutes)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.load_fault

fmt: $(VENV)/.dev-deps ## format the code and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build
