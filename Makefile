# Two commands do everything (see README.md):
#   make book   build the book into _build/html/ (creates .venv on first use)
#   make test   run the whole test suite, including the book build with warnings as errors
# Optional:
#   make notebooks  write the notebook edition (plain Jupyter Markdown, for Colab/JupyterLab)
#                   to _build/notebooks/
#   make student    write the student edition (the notebook edition without solutions) to
#                   _build/student/
#
# Both install through requirements/constraints.txt, which pins the versions the book is
# built and tested with; pyproject.toml keeps ranges so steerlens stays a usable library.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
CONSTRAINTS := requirements/constraints.txt

.PHONY: book test notebooks student screenshots benchmarks lint clean help
.DEFAULT_GOAL := help

help:
	@echo "make book     build the book into _build/html/"
	@echo "make test     run every test (library, notebooks, book build, browser)"
	@echo "make notebooks  write the notebook edition (Colab, JupyterLab) to _build/notebooks/"
	@echo "make student  write the student edition (no solutions) to _build/student/"
	@echo "make screenshots  full-page captures of every built page in _build/screens/"
	@echo "make benchmarks  print the performance tables"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip>=24"

# One stamp per set of extras; it is redone when the dependencies change.
$(VENV)/.stamp-%: pyproject.toml $(CONSTRAINTS) | $(PY)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e ".[$(subst -,$(comma),$*)]"
	@touch $@

comma := ,

book: $(VENV)/.stamp-book
	$(PY) scripts/build_book.py

test: $(VENV)/.stamp-book-test
	$(PY) -m pytest

notebooks: $(VENV)/.stamp-book
	$(PY) scripts/notebook_edition.py

student: $(VENV)/.stamp-book
	$(PY) scripts/student_edition.py

screenshots: $(VENV)/.stamp-book-test
	$(PY) scripts/screenshots.py

benchmarks: $(VENV)/.stamp-book-test
	$(PY) benchmarks/sweep.py
	$(PY) benchmarks/widget_latency.py

lint: $(VENV)/.stamp-book-test-dev
	$(VENV)/bin/ruff check steerlens tests scripts benchmarks

clean:
	rm -rf _build
