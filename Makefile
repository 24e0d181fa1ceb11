# Insyn — two commands on a fresh machine: `make demo` and `make test`.
# Everything else here is what those two need. Only python3 (>= 3.12) and make are assumed;
# on machines where python3 is older, a newer interpreter on PATH or under pyenv is used.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The newest Python >= 3.12 we can find (Django 6.1 needs 3.12).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$p; break; fi; done)

.PHONY: demo test test-browser bench install lint clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Insyn needs Python 3.12 or newer (python3.12/python3.13 on PATH)." >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps 'eark-validator==1.1.3'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/insyn demo

# Tests keep their generated keys and files out of the demo's var/.
TEST_ENV := INSYN_DATA_DIR=$(CURDIR)/var/test INSYN_STATIC_FROM_FINDERS=true

test: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

test-browser: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest -m browser $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests

clean:
	rm -rf $(VENV) var build *.egg-info src/*.egg-info
