# Two commands: `make run` and `make test`. Everything else is what they build on.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/guanxi

.PHONY: run test setup venv assets messages system-deps test-sqlite test-postgres bench lint format demo clean

run: setup
	@bash scripts/run.sh

test: setup system-deps
	@bash scripts/test.sh

setup: venv assets messages

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

assets: guanxi/static/vendor/.copied

guanxi/static/vendor/.copied: package.json package-lock.json scripts/vendor_assets.py
	npm ci --no-audit --no-fund --loglevel=error
	$(PY) scripts/vendor_assets.py
	@touch $@

messages: venv
	@command -v msgfmt >/dev/null || bash scripts/system-deps.sh gettext
	@cd guanxi && ../$(BIN)/django-admin compilemessages --ignore=.venv -v0

system-deps:
	@bash scripts/system-deps.sh

bench: setup
	$(PY) -m bench

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules guanxi/static/vendor var
