# Two commands on a fresh machine: `make book` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CHAPTERS_MD := $(sort $(wildcard chapters/*.md))
TEST_BUILD := _build/test
# The chapters' notebooks run where a learner's would: in an empty folder outside the repository.
NOTEBOOK_RUN ?= /tmp/unet-tutorial-notebooks

# What `make install` (and so every target) installs into $(VENV):
#   lock   (default) exactly the versions of $(LOCK), checked against it after installing;
#   newest the newest releases pyproject.toml allows (the scheduled `newest` workflow);
#   floors every dependency at its declared floor (the scheduled `floors` workflow).
# Give the other two their own folder, e.g. `make unit nbmake INSTALL=newest VENV=.venv-newest`.
INSTALL ?= lock
LOCK ?= requirements/lock.txt
# `make lock`: the tool that writes $(LOCK), in a venv of its own, and how it is called. The lock is
# universal (every platform, Python 3.10 and later) for PyPI's builds: on Linux, PyPI's torch is
# the CUDA build (it pulls the nvidia-* packages), which also runs on machines without a GPU.
LOCK_TOOL := uv==0.13.10
LOCK_VENV := $(VENV)/lock-tool
LOCK_FLAGS ?= --upgrade
# The constraints pip is configured with on this machine, if any (a machine that can install
# only some releases locks to those).
LOCK_CONSTRAINTS ?= $(shell $(PYTHON) -m pip config list 2>/dev/null \
	| sed -n "s/^\(global\|:env:\)\.constraint='\(.*\)'$$/\2/p")

# setuptools' note on every editable install (an InformationOnly warning, not a deprecation):
# a folder named like the package may shadow it on import. Here that folder is the package.
EDITABLE := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e

.PHONY: book test install lint unit notebooks nbmake book-strict book-checks browser sync lock \
	build-check gpu-check clean panel-runtime

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
ifeq ($(INSTALL),lock)
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(EDITABLE) . --no-deps
	$(BIN)/python -m pip check
	$(BIN)/python -m tools.deps check-lock $(LOCK)
else ifeq ($(INSTALL),newest)
	$(EDITABLE) ".[book,test]" --upgrade --upgrade-strategy eager
else ifeq ($(INSTALL),floors)
	$(BIN)/python -m pip install --quiet packaging "tomli; python_version < '3.11'"
	$(BIN)/python -m tools.deps floors --extra colab > $(VENV)/floors.txt
	$(EDITABLE) ".[book,test]" -c $(VENV)/floors.txt
	$(BIN)/python -m pip check
else
	$(error INSTALL is lock, newest or floors, not '$(INSTALL)')
endif
	$(BIN)/python -m pip freeze --all --exclude-editable > $(VENV)/installed.txt
	touch $(STAMP)

install: $(STAMP)

## onnxruntime-web for chapter 10's in-browser segmenter, as package-lock.json pins it (npm ci).
## Without npm the book still builds; its panel then says how to enable it.
panel-runtime: node_modules/.package-lock.json

node_modules/.package-lock.json: package-lock.json
	@if command -v npm > /dev/null; then npm ci --no-audit --no-fund --ignore-scripts; \
	else echo "npm not found: the book builds without its in-browser segmenter (install Node.js)"; fi
## Refresh $(LOCK) to the newest releases pyproject.toml allows (then `make test`, and commit the
## lock with the book it built). `make lock LOCK_FLAGS=` re-resolves keeping the current pins.
lock:
	test -x $(LOCK_VENV)/bin/uv || ($(PYTHON) -m venv $(LOCK_VENV) && \
		$(LOCK_VENV)/bin/python -m pip install --quiet "$(LOCK_TOOL)")
	mkdir -p $(dir $(LOCK))
	$(LOCK_VENV)/bin/uv pip compile pyproject.toml --extra book --extra test --universal \
		--python-version 3.10 --custom-compile-command "make lock" --quiet $(LOCK_FLAGS) \
		$(addprefix --constraint ,$(LOCK_CONSTRAINTS)) --output-file $(LOCK)

## Execute every chapter (with Jupyter Book's cache) and render the HTML book into _build/html.
book: $(STAMP) panel-runtime
	$(BIN)/jupyter-book build . --builder html
	@echo "Open _build/html/index.html"

## Everything CI checks: lint, a warning-free build of the package, unit tests, the Colab notebooks against their sources, every chapter's
## notebook executed through nbmake outside the repository, a strict book build, HTML checks, the
## book and the executed notebooks in a browser.
test: $(STAMP) lint build-check unit notebooks nbmake book-strict book-checks browser

## The package, the tools and tests, the chapters' code cells (chapters/ruff.toml: narrower lines,
## for the printed column), and the GitHub workflows.
lint: $(STAMP)
	$(BIN)/ruff check unet_tutorial tools tests chapters/*.ipynb
	$(BIN)/ruff format --check unet_tutorial tools tests
	$(BIN)/actionlint .github/workflows/*.yml

## The sdist and wheel, built with the newest setuptools build-system.requires allows: fails on any
## warning the backend prints (a deprecation today is a refused build later) or missing licence
## metadata.
build-check: $(STAMP)
	$(BIN)/python -m tools.deps build-check

unit: $(STAMP)
	$(BIN)/python -m pytest tests

## The .ipynb beside each chapter (for Colab) must match its MyST source, and every definition a
## chapter writes in view ("# In the package: ...") must be the package's (tools/in_view.py).
notebooks: $(STAMP)
	$(BIN)/python -m tools.notebooks check $(CHAPTERS_MD)
	$(BIN)/python -m tools.in_view check $(CHAPTERS_MD)

## Each chapter's Colab notebook, copied into $(NOTEBOOK_RUN) and executed there under `smoke` (the
## executed copies are what the browser test then opens as a notebook front end shows them).
nbmake: $(STAMP)
	rm -rf $(NOTEBOOK_RUN) && mkdir -p $(NOTEBOOK_RUN)
	cp chapters/*.ipynb $(NOTEBOOK_RUN)/
	cd $(NOTEBOOK_RUN) && UNET_TUTORIAL_PROFILE=smoke $(CURDIR)/$(BIN)/python -m pytest --nbmake \
		--nbmake-timeout=600 --overwrite -p no:cacheprovider --rootdir=$(NOTEBOOK_RUN) *.ipynb

book-strict: $(STAMP) panel-runtime
	rm -rf $(TEST_BUILD)
	UNET_TUTORIAL_PROFILE=smoke $(BIN)/jupyter-book build . --path-output $(TEST_BUILD) -W -n --keep-going --builder html

book-checks: $(STAMP)
	$(BIN)/python -m pytest tests/book --html-dir $(TEST_BUILD)/_build/html

## The built book, and the notebooks `make nbmake` executed, in headless Chromium (screenshots in
## _build/screenshots). Without chromium and chromium-driver it is skipped, saying why; with
## CI=true it fails instead.
browser: $(STAMP)
	$(BIN)/python -m pytest tests/browser --html-dir $(TEST_BUILD)/_build/html \
		--notebook-dir $(NOTEBOOK_RUN) -rfEs

## Regenerate the Colab notebooks from the MyST chapters after editing them.
sync: $(STAMP)
	$(BIN)/python -m tools.notebooks sync $(CHAPTERS_MD)

## On a lent GPU machine, never in CI: the gpu profile measured on a shrunk copy of the real photos
## (make it here first: python -m tools.shrink_dataset DATASET data/gpu-check-dataset).
gpu-check:
	$(PYTHON) -m tools.gpu_check --data data/gpu-check-dataset

clean:
	rm -rf _build

# Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine spinning threads made
# training 7-15x slower (measured while writing the training chapters).
OMP_WAIT_POLICY ?= PASSIVE
export OMP_WAIT_POLICY
