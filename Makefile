# Two commands do all set-up: `make run` (the app on the bundled sample) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test lint bench sample chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# re-install when the project metadata changes
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

# the app binds to this machine only; `make run HOST=0.0.0.0` serves it on the network on purpose
run: HOST ?= localhost
run: $(VENV)/.installed
	$(BIN)/streamlit run app.py --server.address $(HOST) --server.port $(PORT) \
	  --browser.gatherUsageStats false

# Debian's chromium for the real-browser tests and the PNG/PDF exports
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

test: $(VENV)/.installed-dev chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.run_all

sample: $(VENV)/.installed
	$(BIN)/python geodata/make_sample.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
