# Two commands set up a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --config-settings editable_mode=compat -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## bundled data, local SQLite, console unless a platform token is set
	$(VENV)/bin/confbot run

test: $(STAMP)  ## ruff, mypy and the whole pytest suite
	$(VENV)/bin/ruff check bot tests bench
	$(VENV)/bin/ruff format --check bot tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) -m bench.core
	$(PY) -m bench.discord_burst

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache confbot.sqlite3*
