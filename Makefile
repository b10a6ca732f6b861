# The two set-up commands: `make run` and `make test` (README.md). Only Python 3.11+ is needed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTEST_ARGS ?= -n 2

.PHONY: run test test-faults test-browser lint venv clean bench bench-quick container-test

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.test-installed: requirements/base.txt requirements/flower.txt requirements/test.txt requirements/deploy-check.txt | $(PY)
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

# The fault-injection suite (tests/faults/, README "Fault-injection tests"): private Redis and
# RabbitMQ nodes on free ports, kills, pauses and cuts; both brokers. Not part of `make test`.
FAULTS_ARGS ?= -n 2
test-faults: $(VENV)/.test-installed
	$(PY) -m pytest -m faults tests/faults $(FAULTS_ARGS)

# The operator console in a real browser (tests/console/browser/, marker `browser`, README
# "Operator console"): Playwright drives Debian's chromium (/usr/bin/chromium, never a download).
# Not part of `make test`. Screenshots land in var/screenshots/.
test-browser: $(VENV)/.test-installed
	$(PY) -m pytest -m browser tests/console/browser $(PYTEST_ARGS)

# ruff on the whole tree, then the layering contracts (pyproject.toml [tool.importlinter]).
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# The deployment run for real (README "Deployment proven by running it"; tests/containers/):
# installs docker.io and debootstrap if missing (root), starts a private dockerd, builds a Debian
# base image (cached in var/container-test/) and the image from deploy/Dockerfile, runs every
# role of deploy/docker-compose.yml and of deploy/k8s/ as containers against this machine's
# PostgreSQL, RabbitMQ and Redis, and `make run` on Python 3.11 and 3.13 in a container without a
# compiler. Not part of `make test`. CONTAINER_TEST_DB names its database (and RabbitMQ vhost).
CONTAINER_TEST_ARGS ?=
container-test: $(VENV)/.test-installed
	bash .ci/install-deploy-tools.sh
	TASKPLANE_CONTAINER_TEST=1 $(PY) -m pytest tests/containers -p no:cacheprovider --timeout=1500 -v -s $(CONTAINER_TEST_ARGS)

# Benchmarks (bench/run.py): ratios against raw Celery, raw redis-py, stock django-celery-beat
# and bare Django views, on the local PostgreSQL, Redis and RabbitMQ. Not part of `make test`.
bench: $(VENV)/.test-installed
	$(PY) bench/run.py

bench-quick: $(VENV)/.test-installed
	$(PY) bench/run.py --quick

clean:
	rm -rf $(VENV) var
