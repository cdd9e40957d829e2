# Reliability and security checks (issue 8). Uses setup, BIN and UV from the main Makefile.
#   make fuzz    the fuzz suite at depth: >= 10,000 hypothesis cases (about 1.5 min on 2 cores)
#   make audit   bandit rules (ruff S) and pip-audit on the Lambda layer's pinned dependencies
#   make faults  the fault suite, with its table of what Kazoo gets (part of make test too)
#   make load    serve under 50 concurrent calls, with throughput and latencies (25 in make test)
# `make test` runs tests/fuzz, tests/faults and tests/load at their quick settings with the
# other tests; `audit` is the one to add to its prerequisites (it needs PyPI).

PIP_AUDIT_VERSION := 2.10.1
AUDIT_REPORT := .cache/pip-audit.json

.PHONY: fuzz audit faults load

fuzz: setup
	PIVOTKIT_FUZZ=deep $(BIN)/pytest -q -p no:cacheprovider tests/fuzz

# pip-audit skips (and still passes) every package whose per-version PyPI JSON it cannot
# reach; the second step fails on any vulnerability and audits the skipped pins from
# PyPI's project JSON, naming any pin it could not audit either. The first step is bandit's
# rules alone (S101, assert, is allowed project-wide, as in pyproject.toml).
audit: setup
	$(BIN)/ruff check --select S --ignore S101 handlers infra bench
	@mkdir -p $(dir $(AUDIT_REPORT))
	$(UV) tool run --from pip-audit==$(PIP_AUDIT_VERSION) pip-audit \
		-r layers/requirements.txt --vulnerability-service pypi --disable-pip \
		--format json --output $(AUDIT_REPORT) --progress-spinner off
	$(BIN)/python -m tests.unit.security.dependency_audit $(AUDIT_REPORT) layers/requirements.txt

faults: setup
	$(BIN)/pytest -q -p no:cacheprovider tests/faults

load: setup
	PIVOTKIT_LOAD_CALLS=50 $(BIN)/pytest -q -s -p no:cacheprovider tests/load
