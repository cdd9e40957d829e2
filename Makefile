# pivotkit — the README's two commands are `make run` and `make test`; both set up everything.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
# uv keeps its cache inside the project so a fresh machine needs nothing outside it.
export UV_CACHE_DIR ?= $(CURDIR)/.cache/uv
export UV_PYTHON_DOWNLOADS := never

.PHONY: help setup run test lint typecheck architecture unit bench clean

help:
	@echo "make run                 set up everything and start the local Pivot endpoint"
	@echo "make test                set up everything and run every check and test"
	@echo "make setup               create .venv/ with every dependency (the others do it too)"
	@echo "make lint                ruff check and ruff format --check"
	@echo "make typecheck           mypy --strict"
	@echo "make architecture        import-linter: the core imports no AWS SDK"
	@echo "make unit                the pytest suite alone"
	@echo "make bench               measure (prints a table, writes docs/benchmarks.md)"
	@echo "make synth               CloudFormation templates in cdk.out/ (offline, no Docker)"
	@echo "make synth-all           the same with every example too (-c examples=all)"
	@echo "make synth-scale         synthesize 1,000 generated customers into cdk.out.scale/"
	@echo "make deploy-customer     deploy one customer's stack: CUSTOMER=<slug> [STAGE=dev|prod]"
	@echo "make infra-lint          cfn-lint and checkov on the synthesised templates"
	@echo "make asset-sizes         sizes of the deployed function assets and the layer"
	@echo "make layer-requirements  regenerate layers/requirements.txt from uv.lock"
	@echo "make fuzz                the fuzz suite at depth (10,000+ cases)"
	@echo "make faults              the fault-injection suite and its table"
	@echo "make load                serve under 50 concurrent calls"
	@echo "make browser             install Debian's chromium for the browser tests (root)"
	@echo "make test-browser        the dev phone and inspector in headless Chromium"
	@echo "make audit               bandit rules and pip-audit of the Lambda layer"
	@echo "make clean               remove .venv/, caches, cdk.out/ and node_modules/"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

setup: $(VENV)/.synced

run: setup
	$(BIN)/pivotkit serve

lint: setup
	$(BIN)/ruff check handlers infra tests bench
	$(BIN)/ruff format --check handlers infra tests bench

typecheck: setup
	$(BIN)/mypy handlers infra bench

architecture: setup
	$(BIN)/lint-imports

unit: setup
	$(BIN)/pytest -q

test: lint typecheck architecture audit unit infra-lint

bench: setup synth-all
	$(BIN)/python -m bench

# Each capability may add its own targets (and prerequisites of `test`) in mk/*.mk.
-include mk/*.mk

clean:
	rm -rf $(VENV) $(TOOLS) .cache .mypy_cache .pytest_cache .ruff_cache cdk.out .build node_modules
