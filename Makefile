# The two set-up commands are `make run` and `make test`; both create .venv
# and install what they need on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast browser bench clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required (found %s)" % sys.version.split()[0]'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/causal-stack up

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

test: install browser
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser"

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
