# The two Quickstart commands, `make run` and `make test`, bootstrap .venv themselves:
# it is (re)built when missing or when pyproject.toml is newer than its stamp.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test unit lint bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python >= 3.11 or set PYTHON=..."; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed, $(PYTHON) is " + sys.version.split()[0] + " (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
		echo "$(PYTHON) -m venv failed (on Debian/Ubuntu: apt install python3-venv)"; rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@touch $(STAMP)

# Starts NATS, PostgreSQL and the service (embedded unless OKR_*_URL are set), runs the demo,
# and serves until Ctrl-C. `make demo` does the same and exits.
run: $(STAMP)
	$(BIN)/okr serve --demo

demo: $(STAMP)
	$(BIN)/okr demo

test: lint
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

# ruff, mypy --strict, and the import contracts of pyproject.toml (imports only downwards).
lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/mypy
	$(BIN)/lint-imports

# Regenerates docs/contract/ (event JSON Schemas, AsyncAPI) from the code; a unit test
# fails until the checked-in files match.
.PHONY: contract
contract: $(STAMP)
	$(BIN)/python -m services.entrypoints.nats.contract write

# The bench extras (the peer: eventsourcing on psycopg; matplotlib for the plot) are in the
# bootstrap, since the test suite smoke-tests the benchmark.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .okr-data
