# Two commands for a fresh machine: `make run` (the demo, end to end) and `make test` (the whole suite).
# Everything installs into .venv/ in the repository; torch is pinned to its CPU build (constraints.txt).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: run test test-shifted install install-dev chromium lint bench-quick screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q --upgrade pip wheel

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## the demo territory, end to end: generate, serve on 127.0.0.1, collect, analyse, write the brief to var/outbox/
run: install
	$(BIN)/signals demo

## the whole test suite (installs the dev extras and, if missing, Debian's chromium for the browser tests)
test: install-dev chromium
	$(BIN)/python -m pytest

## the suite with the calendar a year ahead: no test may depend on today's date
test-shifted: install-dev chromium
	$(BIN)/python -m pytest --shift-days 365

## Debian's chromium for the browser tests; a failed install stops `make test` (the tests would fail anyway)
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null \
	    || { echo "error: could not install chromium (apt-get install chromium, as root)" >&2; exit 1; }; }

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check signals collectors models reports bench tests tools scheduler.py
	$(BIN)/lint-imports

## the brief (desktop and phone) and each page of the report's PDF from the demo, into docs/screenshots/
screenshots: install-dev chromium
	$(BIN)/python tools/screenshots.py

## every benchmark in its --quick variant
bench-quick: install
	@for b in ingest detection scale nab forecast embedding reports soak web; do \
	  [ -f bench/$$b.py ] && { echo "== bench.$$b"; $(BIN)/python -m bench.$$b --quick | tail -n 1; }; done; true

clean:
	rm -rf var .pytest_cache test-artifacts
