# SPT Portal — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test install migrate demo messages lint typecheck bench bench-pages clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("SPT Portal needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) messages

# Compiles the gettext catalogues (locale/*/LC_MESSAGES/django.po -> .mo) without GNU gettext.
messages: $(STAMP)
	$(BIN)/python scripts/compile_messages.py

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

# Web, Celery worker and beat together at http://127.0.0.1:$(PORT); Ctrl-C stops all of it.
# E-mails link to PORTAL_BASE_URL, http://127.0.0.1:$(PORT) unless set (scripts/run_all.py).
run: demo
	PORT=$(PORT) $(BIN)/python scripts/run_all.py

# Two pytest-xdist workers: the browser tests keep one (two Chromiums on two cores only slow
# each other), the rest of the suite runs on the other. Byte-code caching on even where the
# environment turns it off: every process of the suite (workers, the launcher's web, worker
# and beat) otherwise recompiles the project each time.
TEST_WORKERS ?= 2
test: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

bench: migrate
	$(BIN)/python benchmarks/slo_bench.py

# Page figures on a seeded volume: `manage.py seed_volume --requests N` first (DATABASE_URL
# for PostgreSQL, else the SQLite database under var/).
bench-pages: migrate
	$(BIN)/python benchmarks/pages_bench.py

clean:
	rm -rf $(VENV) var
