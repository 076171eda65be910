# One command for developers and CI: `make test`. `make demo` shows fleetops on the local provider.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint typecheck pytest system-deps bytecode clean

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

# The suite runs on four workers (pytest-xdist) on this 2-core machine: four overlap the tests'
# waits (fleets coming up, health checks, bakes, moto), which two leave idle (2026-12-07, idle
# machine, clean clone: 393 s of pytest on four workers with the cores 86% busy; 612 s on two,
# 54% busy).
# --dist loadfile keeps each test file on one worker, in order (module-scoped fleets and servers
# are per file); --no-loadscope-reorder keeps the files in collection order (tests/conftest.py
# puts the longest first), where by default xdist starts the files with the most tests first and
# so the README test (minutes long) ran last and alone. --durations=25 lists the
# slowest tests at the end of every run, to keep the suite within its budget (10 minutes).
# PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 4

# Bytecode for fleetops and the example's services, written once: with PYTHONDONTWRITEBYTECODE
# set (as on this machine) Python never caches what it compiles, so every control plane, CLI
# call and service instance compiled fleetops' source again (0.2 s of CPU per server start);
# it still reads the bytecode compileall writes (and checks it against the source's mtime).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 fleetops examples

PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25

pytest: $(STAMP) system-deps bytecode
	$(PYTEST)

# The type check runs beside the tests, its report printed after theirs: the tests leave the
# cores idle while they wait (fleets coming up, health checks, polls), and mypy's ~30 s of CPU
# then costs no wall time. A background job of a make recipe ignores Ctrl-C, hence the trap.
test: lint system-deps bytecode
	@$(BIN)/mypy > $(VENV)/typecheck.out 2>&1 & types=$$!; \
	trap 'kill $$types 2>/dev/null' INT TERM; \
	$(PYTEST); tests=$$?; \
	wait $$types; typed=$$?; \
	echo "mypy:"; cat $(VENV)/typecheck.out; \
	[ $$tests -eq 0 ] && [ $$typed -eq 0 ]

demo: $(STAMP) system-deps bytecode
	$(BIN)/python examples/demo.py

clean:
	rm -rf $(VENV) .fleetops .mypy_cache .ruff_cache .pytest_cache .hypothesis
