# Two commands set up a fresh machine: `make run` and `make test`.
# `make run` installs what running needs; `make test` adds the dev tools (ruff, mypy, pytest).
# Each has its own stamp; the dev stamp depends on the run stamp, so running one after the
# other installs only what is missing.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

# The browser tests drive Debian's chromium (never a browser download); on a fresh machine
# (CI runs as root) `make test` installs it, and the benchmark's load generator wrk, with apt.
CHROMIUM := /usr/bin/chromium
WRK := /usr/bin/wrk
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q

.PHONY: run test bench clean screenshots

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

$(CHROMIUM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$(APT_INSTALL) chromium chromium-driver

$(WRK):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$(APT_INSTALL) wrk

test: $(DEV_STAMP) $(CHROMIUM)  ## ruff, mypy and the whole pytest suite (browser tests too)
	$(VENV)/bin/ruff check bot tests bench
	$(VENV)/bin/ruff format --check bot tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

bench: $(DEV_STAMP) $(WRK)
	$(PY) -m bench.core
	$(PY) -m bench.discord_burst
	$(PY) -m bench.web

screenshots: $(DEV_STAMP) $(CHROMIUM)  ## refresh docs/screenshots/ from the browser test
	CONFBOT_SCREENSHOTS=$(CURDIR)/docs/screenshots \
		$(VENV)/bin/pytest tests/web/test_browser.py -k "screenshots or review_queue"

clean:
	rm -rf $(VENV) build .mypy_cache .pytest_cache .ruff_cache confbot.sqlite3*
