# statewright developer tasks. Every target sets up .venv on first use.
#   make demo       check and build the examples (prints the report), property-test them and
#                   check that the Python, Step Functions and BPMN versions agree, run the order
#                   saga on a real Temporal server too, then run one expense claim end to end on
#                   SQLite and print its audit log
#   make test       lint + format check + mypy --strict + pytest -n auto
#   make bench      the benchmark suite against its peers; writes docs/PERFORMANCE.md
#                   (make bench-quick: small sizes, under a minute, writes $(OUT)/PERFORMANCE-quick.md)
#   make lint | typecheck | unit | fmt | clean | distclean
# The interpreter used to create .venv can be overridden: make test PYTHON=python3.12

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.statewright-installed
# Node checkers for generated artifacts (asl-validator, bpmnlint), installed under .tools/node.
TOOLS ?= .tools/node
TOOLS_STAMP := $(TOOLS)/.installed
SOURCES := statewright tests benchmarks
OUT ?= build

.DEFAULT_GOAL := test
.PHONY: venv tools demo test lint typecheck unit fmt clean distclean bench bench-quick screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes. The build backend (hatchling, plus
# editables for editable installs) is installed first so the
# install can build without an isolated (networked) build environment.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'hatchling>=1.24' editables
	$(BIN)/python -m pip install --quiet --no-build-isolation -e '.[dev]'
	touch $@

venv: $(STAMP)

# The tests run these real checkers on every generated definition, and evaluate Zeebe FEEL
# conditions with a real FEEL interpreter (see tests/tools.py).
$(TOOLS_STAMP): Makefile
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) asl-validator@4 bpmnlint@11 @bpmn-io/feelin@6 bpmn-engine@25 bpmn-js@18 bpmn-auto-layout@1 @vscode/vsce@3
	npm install --silent --no-audit --no-fund --prefix editors/vscode
	touch $@

tools: $(TOOLS_STAMP)

demo: $(STAMP)
	@echo '== statewright check examples/'
	$(BIN)/statewright check examples/
	@echo '== statewright build examples/ --target all --out $(OUT)/'
	$(BIN)/statewright build examples/ --target all --out $(OUT)/
	@echo '== statewright test examples/ --targets python,asl,bpmn (property tests, path scenarios, targets agree)'
	$(BIN)/statewright test examples/ --targets python,asl,bpmn --max-examples 20 --steps 15 --drawn 0
	@echo '== statewright test examples/order_fulfilment.wf --targets python,temporal (the order saga on a real Temporal server: temporal server start-dev, started and stopped by the run)'
	$(BIN)/statewright test examples/order_fulfilment.wf --targets python,temporal --max-examples 5 --steps 10 --drawn 0
	@echo '== statewright run: one expense claim end to end on $(OUT)/demo.db'
	STATEWRIGHT=$(BIN)/statewright sh examples/run_demo.sh $(OUT)/demo.db

lint: $(STAMP)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

typecheck: $(STAMP)
	$(BIN)/mypy --strict

unit: $(STAMP) $(TOOLS_STAMP)
	$(BIN)/pytest -n auto

test: lint typecheck unit

# The pictures the README shows (docs/images/): bpmn-js and the design report in chromium.
screenshots: $(STAMP) $(TOOLS_STAMP)
	$(BIN)/python -m tests.screenshots docs/images

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --out docs/PERFORMANCE.md

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick --out $(OUT)/PERFORMANCE-quick.md

fmt: $(STAMP)
	$(BIN)/ruff check --fix $(SOURCES)
	$(BIN)/ruff format $(SOURCES)

# Remove generated files; the virtual environment stays (see distclean).
clean:
	rm -rf $(OUT) dist .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find statewright tests -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .tools
