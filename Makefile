# Two commands for a fresh machine: `make demo` runs the product, `make test` runs the checks.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test lint typecheck pytest browser clean lock under-load

# Every package, the test and lint tools and pip itself included, comes from the lock at the
# exact version and hash it names; pyproject.toml keeps the ranges for other installs.
LOCK     := requirements.lock
DEV_LOCK := requirements-dev.lock
COMPILE  := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --all-build-deps \
	--strip-extras --no-emit-index-url --no-emit-find-links --no-emit-trusted-host

$(STAMP): pyproject.toml $(LOCK) $(DEV_LOCK)
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Refresh both locks to the newest releases pyproject.toml allows (the runtime lock first; the
# dev lock keeps its versions). `make lock UPGRADE=` only adds what pyproject.toml gained.
UPGRADE ?= --upgrade
lock: $(STAMP)
	$(COMPILE) $(UPGRADE) -o $(LOCK) pyproject.toml
	$(COMPILE) $(UPGRADE) --extra dev -c $(LOCK) -o $(DEV_LOCK) pyproject.toml

demo: $(STAMP)
	$(BIN)/cti-bridge demo

# Debian's Chromium for the browser tests (Playwright's own browser download is not used).
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| (sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive sudo apt-get install -y -qq chromium >/dev/null); }

lint: $(STAMP)
	$(BIN)/ruff check cti_bridge tests
	$(BIN)/ruff format --check cti_bridge tests

typecheck: $(STAMP)
	$(BIN)/mypy

# Tests run in parallel worker processes: each test has its own database schema, Redis key
# prefix, ports and temporary files, so workers never see each other.
PYTEST_WORKERS ?= 4
pytest: $(STAMP) browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The proof that no test depends on the machine's speed: three runs under four busy processes.
under-load: $(STAMP) browser
	scripts/under-load.sh

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-data
