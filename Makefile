# Two commands for a fresh machine: `make run` (the demo, end to end) and `make test` (the whole suite).
# Everything installs into .venv/ in the repository; torch is pinned to its CPU build (constraints.txt).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: run test test-sqlite test-postgresql test-shifted install install-dev chromium postgresql redis lint bench-quick screenshots clean

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

## the whole test suite on both stores, SQLite and PostgreSQL, side by side (installs the dev extras and,
## if missing, Debian's chromium and postgresql); the PostgreSQL run's report is printed after SQLite's
test: install-dev chromium postgresql redis
	@mkdir -p test-artifacts
	@echo "the PostgreSQL run goes on beside this one; its report follows"
	@$(BIN)/python -m pytest -q --store postgresql --basetemp="$$(mktemp -d)" \
	  >test-artifacts/postgresql.log 2>&1 & pg=$$!; \
	$(BIN)/python -m pytest; sqlite=$$?; \
	wait $$pg; postgresql=$$?; \
	echo "== the suite on PostgreSQL (test-artifacts/postgresql.log)"; tail -n 40 test-artifacts/postgresql.log; \
	exit $$(( sqlite || postgresql ))

test-sqlite: install-dev chromium redis
	$(BIN)/python -m pytest

test-postgresql: install-dev chromium postgresql redis
	$(BIN)/python -m pytest --store postgresql

## the suite with the calendar a year ahead: no test may depend on today's date
test-shifted: install-dev chromium redis
	$(BIN)/python -m pytest --shift-days 365

## Debian's chromium for the browser tests; a failed install stops `make test` (the tests would fail anyway)
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null \
	    || { echo "error: could not install chromium (apt-get install chromium, as root)" >&2; exit 1; }; }

## Debian's PostgreSQL server for the suite's PostgreSQL run (each run starts a throwaway cluster, tests/pgserver.py)
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  { echo "installing Debian's postgresql for the suite's PostgreSQL run"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
	    || { echo "error: could not install postgresql (apt-get install postgresql, as root)" >&2; exit 1; }; }

## Debian's redis-server for the shared crawl frontier's tests (each starts a throwaway server, tests/redisserver.py)
redis:
	@command -v redis-server >/dev/null 2>&1 || \
	  { echo "installing Debian's redis-server for the shared crawl frontier's tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null \
	    || { echo "error: could not install redis-server (apt-get install redis-server, as root)" >&2; exit 1; }; }

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check signals collectors models reports bench tests tools scheduler.py
	$(BIN)/lint-imports

## the brief (desktop and phone) and each page of the report's PDF from the demo, into docs/screenshots/
screenshots: install-dev chromium
	$(BIN)/python tools/screenshots.py

## every benchmark in its --quick variant
bench-quick: install
	@for b in ingest detection scale nab forecast embedding reports soak web distributed; do \
	  [ -f bench/$$b.py ] && { echo "== bench.$$b"; $(BIN)/python -m bench.$$b --quick | tail -n 1; }; done; true

clean:
	rm -rf var .pytest_cache test-artifacts
