# Two commands for a fresh machine with Python 3.11: `make app` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: app test bench demo chromium clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	$(PY) -m app.assets
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# Start the app on the bundled (generated) demo district.
app: $(VENV)/.base
	$(VENV)/bin/streamlit run app/main.py --server.port $(PORT)

# Debian's Chromium (and a CJK font for Chinese text and the PDF report; poppler to render the report in its
# test) for the browser tests (never `playwright install`).
chromium:
	@[ -x /usr/bin/chromium ] && [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && [ -x /usr/bin/pdftoppm ] || \
	  { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium fonts-wqy-microhei poppler-utils; }

# The whole test suite: type checks of the library (mypy), then unit, property, AppTest and browser tests.
test: $(VENV)/.test chromium
	$(PY) -m mypy geo
	$(PY) -m pytest -q

# Benchmarks: print figures and ratios against baselines measured in the same run.
bench: $(VENV)/.test
	$(PY) -m bench.run

# Regenerate the demo district in data/demo (deterministic).
demo: $(VENV)/.base
	$(VENV)/bin/xuequ demo --out data/demo

clean:
	rm -rf $(VENV) .pytest_cache build
