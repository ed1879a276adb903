# The two commands of the README: `make demo` and `make test`. Both set up everything
# they need on a fresh Debian machine (as root): Debian packages, the virtual
# environment from the lock file, compiled translations.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUBSCRIBERS ?= 100000
MONTHS ?= 24
SEED ?= 42

.PHONY: demo test bench lint lock system setup serve

system:
	@if ! command -v chromium >/dev/null || ! command -v msgfmt >/dev/null \
	    || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
	  echo "Installing Debian packages (chromium, fonts-noto-cjk, gettext)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-noto-cjk gettext >/dev/null; \
	fi
	@if ! command -v pdftotext >/dev/null; then \
	  echo "Installing poppler-utils (the letter tests read PDFs back with pdftotext)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	fi
	@if ! command -v java >/dev/null; then \
	  echo "Installing Java for the Spark engine (default-jre-headless)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    default-jre-headless >/dev/null; \
	fi

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv==0.13.9
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

setup: system $(STAMP)
	cd src/telcrm && ../../$(BIN)/telcrm compilemessages -v 0

demo: setup
	$(BIN)/telcrm migrate --noinput -v 0
	$(BIN)/telcrm demo --subscribers $(SUBSCRIBERS) --months $(MONTHS) --seed $(SEED)
	$(BIN)/telcrm runserver 127.0.0.1:8000 --noreload

test: setup lint
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy src

bench: setup
	$(BIN)/python -m bench

lock:
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock
