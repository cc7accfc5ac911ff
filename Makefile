# safeschool: `make demo` to see it, `make test` to check it, `make bench` to measure it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_SCHOOLS ?= 60
DEMO_SEED ?= 2026
HOST ?= 127.0.0.1
PORT ?= 8050
PYTEST_WORKERS ?= 2

.PHONY: install demo demo-data serve test lint bench clean-demo

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "safeschool needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# Both provide the module `opencc`: a venv made before the switch to OpenCC's own binding loses the old one first.
	$(BIN)/python -m pip uninstall --quiet --yes opencc-python-reimplemented 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Generate the demo county into data/inbox, load it, score it, serve it.
demo-data: install
	$(BIN)/safeschool init
	$(BIN)/safeschool demo --schools $(DEMO_SCHOOLS) --seed $(DEMO_SEED)
	$(BIN)/safeschool sync --once --quiet || true   # the demo county has deliberate mistakes: refused files are expected
	$(BIN)/safeschool demo-accounts

demo: demo-data serve

serve: install
	$(BIN)/safeschool serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .

test: install lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q

bench: install
	$(BIN)/python tests/benchmarks/run.py

clean-demo:
	rm -rf data/
