# Two commands for a newcomer:  `make lab` (open the series)  and  `make test` (run every test).
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3

# Offline copy of the data, when this checkout sits beside it (never copied into the repo).
SHARED_DATA := $(abspath ../shared/data/mnist)
ifneq ($(wildcard $(SHARED_DATA)/SHA256SUMS),)
export MADE_DATA_DIR ?= $(SHARED_DATA)
endif
export KERAS_BACKEND := tensorflow
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: install lab test test-quick bench book clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,book]"
	touch $@

install: $(VENV)/.installed

# JupyterLab refuses to run as root unless told; containers often are root.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: install
	$(VENV)/bin/jupyter lab $(LAB_FLAGS) notebooks/

test: install
	$(PY) -m pytest

# The suite without the notebook executions and the browser test (pytest markers slow, browser).
test-quick: install
	$(PY) -m pytest -m "not slow and not browser"

# The series as a static, offline HTML site in build/book/ (open build/book/index.html).
book: install
	$(PY) book/build.py

bench: install
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_sampling.py

clean:
	rm -rf $(VENV) .pytest_cache
