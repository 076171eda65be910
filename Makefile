# One command for developers and CI: `make test`. `make demo` shows fleetops on the local provider.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint typecheck pytest system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-deps:
	scripts/ensure-system-deps

lint: $(STAMP)
	$(BIN)/ruff check fleetops tests bench examples
	$(BIN)/ruff format --check fleetops tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs on two workers (pytest-xdist; much of it waits on processes, health checks and
# bakes): 241-325 s against 498 s in one process here. --dist loadfile keeps each test file on one
# worker, in order (module-scoped fleets and servers are per file). PYTEST_WORKERS=0 runs it in
# one process. --no-loadscope-reorder keeps the files in collection order (tests/conftest.py puts
# the longest first); by default xdist starts the files with the most tests first, and so the
# 7-minute README test, two tests, ran last and alone.
PYTEST_WORKERS ?= 2

pytest: $(STAMP) system-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: lint typecheck pytest

demo: $(STAMP) system-deps
	$(BIN)/python examples/demo.py

clean:
	rm -rf $(VENV) .fleetops .mypy_cache .ruff_cache .pytest_cache .hypothesis
