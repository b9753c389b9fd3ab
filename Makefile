# podcalc: `make run` serves the API, `make test` runs every check CI runs.
# Both create .venv and install what they need on a fresh machine (Python 3.11+).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8080
HOST   ?= 127.0.0.1
CHROMIUM := /usr/bin/chromium

.DEFAULT_GOAL := help
.PHONY: help run core test lint typecheck unit unit-interpreted fmt clean bench load-test profile

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-17s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[native]'
	touch $@

# Each set of extras installs on top of the run's, one pip at a time: under make -j, core's
# need of .run-deps would otherwise run a second pip into the same venv at once.
$(VENV)/.dev-deps: pyproject.toml constraints.txt $(VENV)/.run-deps | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,native]'
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps core ## install and serve on http://$(HOST):$(PORT) (make run PORT=9000)
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) 'api.wsgi:app'

# The calculation core's hot modules compiled with mypyc into calc/_native (tools/build_core.py):
# about 15 s, and only when calc/ changed. Where it cannot build (no C compiler, a failed
# compile) the core runs interpreted, but in CI (CI set, to any value), where it must build.
core: $(VENV)/.run-deps ## compile the core's hot modules (run, test and bench do it first)
	$(BIN)/python tools/build_core.py $(if $(CI),--require)

test: $(VENV)/.dev-deps lint typecheck unit unit-interpreted ## install, then lint, type-check and run the tests, as CI does

lint: $(VENV)/.dev-deps ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-deps ## mypy --strict on the calculation core
	$(BIN)/mypy

unit: $(VENV)/.dev-deps core $(CHROMIUM) ## the pytest suite, on the compiled core
	$(BIN)/pytest -q

# The calculation's own tests, the property tests and the API's again on the interpreted
# core (PODCALC_NATIVE=false): what runs where nothing was compiled. About 10 s.
INTERPRETED_TESTS := $(patsubst %,tests/test_%.py,quantity effective qos validation limitrange quota nodes workloads properties real_manifests api)
unit-interpreted: $(VENV)/.dev-deps ## the core's, property and API tests again, on the interpreted core
	PODCALC_NATIVE=false $(BIN)/pytest -q $(INTERPRETED_TESTS)

# Debian's Chromium, which the dashboard's browser tests drive through Playwright (Playwright
# never downloads a browser of its own here). Installed only when missing.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(VENV)/.bench-deps: pyproject.toml constraints.txt $(VENV)/.dev-deps | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench,native]'
	touch $@ $(VENV)/.dev-deps $(VENV)/.run-deps

bench: $(VENV)/.bench-deps core ## run the benchmarks (installs wrk with apt-get if missing; about 5 minutes)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.run

profile: $(VENV)/.bench-deps core ## where an HTTP request's time goes, podcalc beside the bare endpoint (py-spy; about 80 s)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.profile

load-test: $(VENV)/.bench-deps core ## sustained load, a worker killed mid-load, memory over a long run (about 2 minutes)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.load_fault

fmt: $(VENV)/.dev-deps ## format the code and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## remove the virtualenv, the compiled core and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis calc/_native build
