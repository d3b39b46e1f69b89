# Coworknet: `make demo` runs a seeded multi-node demo on SQLite, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-postgres bench lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m node.demo

# The suite runs in TEST_WORKERS processes (pytest-xdist; 0: in this one). Most tests wait on
# nodes, sockets and timers, so two workers take about half the time even on two cores.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-postgres: $(STAMP)
	COWORKNET_TEST_DATABASE_URL=$${COWORKNET_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/coworknet_test} $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check node federation schemas tests bench
	$(VENV)/bin/lint-imports pyproject.toml

clean:
	rm -rf demo-instances .pytest_cache
