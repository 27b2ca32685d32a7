# Two commands for a fresh machine: `make demo` runs the product, `make test` runs the checks.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test lint typecheck pytest browser clean lock under-load live

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

# The live checks (tests/live, marker "live", never part of `make test`) against a real
# Asterisk 20 running config/asterisk: start one with scripts/live-asterisk.sh (README,
# "Against a real Asterisk"). One run at a time: the tests set the PBX's robot lines and CTI_AGI.
LIVE_AMI_HOST ?= 127.0.0.1
LIVE_AMI_PORT ?= 5038
live: $(STAMP)
	@$(BIN)/python -c 'import socket, sys; s = socket.create_connection(("$(LIVE_AMI_HOST)", $(LIVE_AMI_PORT)), 3); b = s.recv(100); sys.exit(0 if b.startswith(b"Asterisk Call Manager/") else 1)' 2>/dev/null \
		|| { echo "make live: no Asterisk answers on $(LIVE_AMI_HOST):$(LIVE_AMI_PORT)." \
			"Start one with scripts/live-asterisk.sh MIRROR_GIT_DIR (README: Against a real Asterisk)." >&2; exit 1; }
	CTI_LIVE_AMI_HOST=$(LIVE_AMI_HOST) CTI_LIVE_AMI_PORT=$(LIVE_AMI_PORT) $(BIN)/pytest -m live tests/live $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-data
