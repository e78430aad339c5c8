# Two commands on a fresh machine with Python 3.11+:
#   make run    create .venv, install, start the playground
#   make test   create .venv, install the test extras and Chromium, run every test
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ARGS ?=

.PHONY: run test check screenshots install install-test chromium services bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, python3.12 or python3 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Debian's chromium for the browser tests (Playwright cannot download browsers here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			chromium fonts-dejavu-core fonts-liberation >/dev/null; \
	fi

## Debian's redis-server for the Redis store tests (they start their own on loopback).
services:
	@if ! command -v redis-server >/dev/null 2>&1; then \
		echo "Installing Debian's redis-server for the Redis store tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends redis-server >/dev/null; \
	fi

run: install
	$(BIN)/mlp-playground $(ARGS)

test: install-test chromium services
	$(BIN)/python -m pytest $(ARGS)

## The quick tier: the engine, in-process API and quick lesson tests; no browser, no child
## process, no fuzzing (the markers are in pyproject.toml). make test stays the whole suite.
check: install-test
	$(BIN)/python -m pytest -q -m "not browser and not subprocess and not slow" --ignore=tests/browser $(ARGS)

## The README's pictures, on purpose: the lessons' browser test takes them under
## artifacts/screenshots/lessons/, then they are copied over the ones in docs/lessons/
## (and practice's and compare's from artifacts/screenshots/practice/ into docs/practice/).
screenshots: install-test chromium
	rm -rf artifacts/screenshots/lessons
	$(BIN)/python -m pytest -q tests/browser/test_lessons.py -k test_each_lesson_starts_from_the_page $(ARGS)
	cp artifacts/screenshots/lessons/*.png docs/lessons/
	rm -rf artifacts/screenshots/practice
	$(BIN)/python -m pytest -q tests/browser/test_practice.py tests/browser/test_compare.py -k "backward_1 or batch_norm or two_learning_rates" $(ARGS)
	cp artifacts/screenshots/practice/*.png docs/practice/

bench: install-test
	@for f in bench/[!_]*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache artifacts *.egg-info
