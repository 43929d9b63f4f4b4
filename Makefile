# CRM Guard: `make demo` and `make test` are all a new machine needs (see README).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# the install stamp changes whenever the pinned set changes, so a stale venv is refreshed
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt pyproject.toml | sha256sum | cut -c1-12)

.PHONY: demo test test-unit test-fast bench airflow clean lint lock venv browser

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "[make] installing pinned requirements into $(VENV) (log: $(VENV)/install.log)"
	@$(BIN)/pip install --disable-pip-version-check -r requirements.txt -c constraints.txt \
		> $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@$(BIN)/pip install --disable-pip-version-check --no-deps -e . >> $(VENV)/install.log 2>&1 \
		|| { tail -40 $(VENV)/install.log; exit 1; }
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(BIN)/crmguard demo

# the report's browser test needs Debian's chromium and CJK fonts; installed only when missing
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list -q "Noto Sans CJK SC" 2>/dev/null; then \
		echo "[make] installing chromium and fonts-noto-cjk (Debian) for the report's browser test"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends chromium fonts-noto-cjk; \
	fi

# tiers (markers set in tests/conftest.py from what a test needs): unit starts no engine (no
# JVM, no dbt, no Airflow, no browser); fast adds the engines but not the end-to-end runs
UNIT := not (spark or dbt or airflow or browser or slow)

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	CRMGUARD_REQUIRE_BROWSER=1 $(BIN)/pytest --durations=15

test-unit: $(STAMP)
	$(BIN)/pytest -q -m "$(UNIT)"

test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow"

bench: $(STAMP)
	@for f in tests/benchmarks/bench_*.py; do echo "[bench] $$f"; $(BIN)/python $$f || exit 1; done
	@echo "[bench] results in docs/benchmarks.md"

airflow: $(STAMP)
	$(BIN)/crmguard airflow

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# regenerate constraints.txt from the current venv after changing requirements.txt
lock: $(STAMP)
	@(echo "# Full resolved set for requirements.txt (pip freeze). Regenerate with 'make lock'."; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^crmguard') > constraints.txt

clean:
	rm -rf landing lake warehouse reports airflow_home .spark .cache test-artifacts \
		dbt_project/target dbt_project/logs .pytest_cache .ruff_cache
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +
