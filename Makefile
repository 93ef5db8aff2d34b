# Two commands for a fresh machine:  make demo  (set up + main job)   and   make test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lab lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/molaudit demo --outdir demo-output

test: $(VENV)/.installed
	$(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env

lab: $(VENV)/.installed
	$(VENV)/bin/jupyter lab notebooks/01_quickstart.ipynb

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests benchmarks

bench: $(VENV)/.installed
	$(PY) benchmarks/bench_audit.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache
