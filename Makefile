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

.PHONY: book test install lint unit notebooks nbmake book-strict book-checks browser sync gpu-check clean panel-runtime

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	touch $(STAMP)

install: $(STAMP)

## onnxruntime-web for chapter 10's in-browser segmenter, as package-lock.json pins it (npm ci).
## Without npm the book still builds; its panel then says how to enable it.
panel-runtime: node_modules/.package-lock.json

node_modules/.package-lock.json: package-lock.json
	@if command -v npm > /dev/null; then npm ci --no-audit --no-fund --ignore-scripts; \
	else echo "npm not found: the book builds without its in-browser segmenter (install Node.js)"; fi

## Execute every chapter (with Jupyter Book's cache) and render the HTML book into _build/html.
book: $(STAMP) panel-runtime
	$(BIN)/jupyter-book build . --builder html
	@echo "Open _build/html/index.html"

## Everything CI checks: lint, unit tests, the Colab notebooks against their sources, every chapter's
## notebook executed through nbmake outside the repository, a strict book build, HTML checks, the
## book and the executed notebooks in a browser.
test: $(STAMP) lint unit notebooks nbmake book-strict book-checks browser

## The package, the tools and tests, the chapters' code cells (chapters/ruff.toml: narrower lines,
## for the printed column), and the GitHub workflows.
lint: $(STAMP)
	$(BIN)/ruff check unet_tutorial tools tests chapters/*.ipynb
	$(BIN)/ruff format --check unet_tutorial tools tests
	$(BIN)/actionlint .github/workflows/*.yml

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
