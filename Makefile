# Two commands set up a fresh machine: `make run` and `make test`.
# `make run` installs what running needs; `make test` adds the dev tools (ruff, mypy, pytest).
# Each has its own stamp; the dev stamp depends on the run stamp, so running one after the
# other installs only what is missing.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) --upgrade pip

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PIP) -e .
	touch $@

$(DEV_STAMP): $(RUN_STAMP)
	$(PIP) -e '.[dev]'
	touch $@

run: $(RUN_STAMP)  ## bundled data, local SQLite, console unless a platform token is set
	$(VENV)/bin/confbot run

test: $(DEV_STAMP)  ## ruff, mypy and the whole pytest suite
	$(VENV)/bin/ruff check bot tests bench
	$(VENV)/bin/ruff format --check bot tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

bench: $(DEV_STAMP)
	$(PY) -m bench.core
	$(PY) -m bench.discord_burst

clean:
	rm -rf $(VENV) build .mypy_cache .pytest_cache .ruff_cache confbot.sqlite3*
