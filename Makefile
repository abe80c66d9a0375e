# The two commands a newcomer needs: `make run` and `make test`. `make test-fast` runs the unit and
# HTTP tests alone, in under two minutes, for a maintainer between edits.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000
# Where `make run`'s mail sink listens, and so where the site it serves sends its mail:
# `make run MAIL_SINK_PORT=2525` when 8025 is taken.
MAIL_SINK_PORT ?= 8025

# The compiled translation catalogues, rebuilt whenever a .po file changes.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

.PHONY: run test test-fast lint format check-content serve clean install translations extract-messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever the declared dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP) $(CATALOGUES)

translations: $(CATALOGUES)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

# After adding or changing text in code or templates: collect it, then translate the new
# entries in translations/de/LC_MESSAGES/messages.po.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --sort-output \
		--project openpositions --ignore-dirs=".venv bench tests" .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

# Serves the site with embedded defaults: SQLite files in instance/, the queue in-process, and a
# local mail sink on 127.0.0.1:$(MAIL_SINK_PORT) that prints every mail the site sends.
run: $(STAMP) $(CATALOGUES)
	$(BIN)/flask --app app db upgrade
	@$(BIN)/python -m aiosmtpd -n -l 127.0.0.1:$(MAIL_SINK_PORT) -c devtools.mail_sink.PrintMail & \
	sink=$$!; trap 'kill $$sink 2>/dev/null' EXIT INT TERM; \
	FLASK_SITE_URL="$${FLASK_SITE_URL:-http://$(HOST):$(PORT)}" \
	FLASK_MAIL_SERVER=127.0.0.1 FLASK_MAIL_PORT=$(MAIL_SINK_PORT) \
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT)

test: lint $(CATALOGUES)
	$(BIN)/python -m pytest

# The fast lane, on every core: no test marked with a lane (a browser, nginx, PostgreSQL, Redis
# or processes of their own; tests/conftest.py marks them, tests/support/lanes.py holds them to it).
test-fast: $(STAMP) $(CATALOGUES)
	$(BIN)/python -m pytest -n auto -m "not (browser or nginx or postgresql or redis or processes)"

# Serves the site as in production: gunicorn with gunicorn.conf.py, settings from FLASK_*.
serve: install
	$(BIN)/gunicorn -c gunicorn.conf.py app:app

# Style, types, and the layers of the code (pyproject.toml's import-linter contracts).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-content: $(STAMP)
	$(BIN)/flask --app app positions check

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
