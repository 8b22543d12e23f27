# The two set-up commands are `make run` and `make test`; both create .venv
# and install what they need on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint browser docker-engine bench clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required (found %s)" % sys.version.split()[0]'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# `make run WATCH=1`: redeploy on save (causal-stack up --watch).
run: install
	@test -n "$(WATCH)" || echo "tip: make run WATCH=1 (causal-stack up --watch) redeploys functions, the state machine and task code on save"
	$(BIN)/causal-stack up $(if $(WATCH),--watch)

# Headless Chromium for the browser tests, from Debian's packages (Playwright
# cannot download its own browser offline). Needs root. Without it the browser
# tests skip; under CI=true that fails the run (tests/skip_policy.py), and so
# does a failed install here.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || { echo "error: could not install chromium (apt-get failed)"; [ "$$CI" != true ] || exit 1; \
	           echo "warning: the browser tests will be skipped"; }; \
	  else echo "note: /usr/bin/chromium missing and not root; browser tests will be skipped"; \
	       [ "$$CI" != true ] || { echo "error: CI needs chromium: run as root or install it"; exit 1; }; fi; \
	fi

# A Docker engine for the `docker` tests (the compose route for real), from
# Debian's packages: as root, installs docker.io, iptables, debootstrap (for a
# local base image where Docker Hub is out of reach) and docker-compose when
# missing, and starts dockerd when no engine answers (it keeps running after
# the tests; its log is $(DOCKERD_LOG)). Otherwise the docker tests skip with
# the reason; under CI=true that fails the run (tests/skip_policy.py), and so
# does a failure here.
DOCKERD_LOG ?= /tmp/causal-stack-dockerd.log
DOCKER_PACKAGES := docker.io iptables debootstrap docker-compose
docker-engine:
	@fail() { echo "$$1"; [ "$$CI" != true ] || exit 1; echo "warning: the docker tests will be skipped"; exit 0; }; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for package in $(DOCKER_PACKAGES); do dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	  if [ -n "$$missing" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || fail "error: could not install$$missing (apt-get failed)"; fi; \
	fi; \
	if command -v docker >/dev/null && docker info >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v dockerd >/dev/null; then \
	  fail "note: no Docker engine answers, and starting one needs root and dockerd"; fi; \
	echo "starting dockerd (log: $(DOCKERD_LOG))"; \
	nohup dockerd --data-root /var/lib/docker -H unix:///var/run/docker.sock >$(DOCKERD_LOG) 2>&1 & \
	for second in $$(seq 1 60); do docker info >/dev/null 2>&1 && exit 0; sleep 1; done; \
	fail "error: dockerd did not answer within 60 s (see $(DOCKERD_LOG))"

# Lint, format and types (configured in pyproject.toml) before any test runs.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install lint browser docker-engine
	$(BIN)/python -m pytest

test-fast: install lint
	$(BIN)/python -m pytest -m "not slow and not browser and not docker"

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
