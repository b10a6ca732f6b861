# The two set-up commands: `make run` and `make test` (README.md). Only Python 3.11+ is needed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTEST_ARGS ?= -n 2

.PHONY: run test lint venv clean bench bench-quick

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.test-installed: requirements/base.txt requirements/test.txt requirements/deploy-check.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/test.txt
	touch $@ $(VENV)/.base-installed

$(VENV)/.dev-installed: requirements/base.txt requirements/test.txt requirements/deploy-check.txt requirements/dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@ $(VENV)/.test-installed $(VENV)/.base-installed

venv: $(VENV)/.base-installed

run: $(VENV)/.base-installed
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py bootstrap
	exec $(PY) manage.py serve --mode all

test: $(VENV)/.test-installed
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff on the whole tree, then the layering contracts (pyproject.toml [tool.importlinter]).
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# Benchmarks (bench/run.py): ratios against raw Celery, raw redis-py, stock django-celery-beat
# and bare Django views, on the local PostgreSQL, Redis and RabbitMQ. Not part of `make test`.
bench: $(VENV)/.test-installed
	$(PY) bench/run.py

bench-quick: $(VENV)/.test-installed
	$(PY) bench/run.py --quick

clean:
	rm -rf $(VENV) var
