# Quick start: `make demo` runs the whole job on samples/, `make test` runs the tests.
# Both create their own virtual environment in .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= demo-output

.PHONY: demo desk test bench import-matrix clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m compileall -q src  # bytecode up front: start-up counts, and some machines never write it
	touch $@

demo: $(VENV)/.installed
	$(PY) -m nianbao.demo --samples samples --out $(OUT)

desk: $(VENV)/.installed  # the collection desk in the browser, preloaded with samples/ (Ctrl+C stops it)
	$(VENV)/bin/nianbao serve nianbao-desk-demo --demo

test: $(VENV)/.installed
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) benchmarks/run.py

# every random filing (N=200) rendered, taken through every extraction path and imported back (issue 12)
import-matrix: $(VENV)/.installed
	$(PY) benchmarks/import_matrix.py --n $${N:-200}

clean:
	rm -rf $(VENV) $(OUT) nianbao-desk-demo .pytest_cache .hypothesis
