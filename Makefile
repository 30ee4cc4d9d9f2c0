# One entry point for everything; `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# Folder of the source texts (named as each study's source_document). When present, the
# tests check that every curated quote is found in its source; the data never depend on it.
LIVINGREVIEW_SOURCES ?= $(abspath ../shared/seeds)
export LIVINGREVIEW_SOURCES

.DEFAULT_GOAL := help
.PHONY: help install book release import-search serve harness check-data audit datapackage new-study bench metafor-fixtures test test-fast clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(INSTALLED): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

install: $(INSTALLED) ## create .venv with the pinned requirements

book: $(INSTALLED) ## build the site into _build/html (re-executes only what changed)
	$(PY) -m livingreview book

release: $(INSTALLED) ## build, then record the release named by CHANGELOG's newest heading in releases/<version>/
	$(PY) -m livingreview release

import-search: $(INSTALLED) ## import a search run's export into data/search/records.csv: make import-search RUN=2027-06-pubmed
	@test -n "$(RUN)" || { echo "usage: make import-search RUN=<run_id of data/search/searches.yaml>"; exit 1; }
	$(PY) -m livingreview import-search $(RUN)

serve: ## serve the built site on http://127.0.0.1:8000
	@test -f _build/html/index.html || { echo "no site yet: run 'make book' first"; exit 1; }
	@echo "serving _build/html on http://127.0.0.1:8000 (Ctrl-C stops)"
	$(PY) -m http.server --directory _build/html --bind 127.0.0.1 8000

harness: $(INSTALLED) ## validate the survival reconstruction on 360 simulated trials
	$(PY) -m livingreview harness --replicates 20

check-data: $(INSTALLED) ## validate data/ against the data dictionary
	$(PY) -m livingreview check-data

audit: $(INSTALLED) ## recompute the papers' printed numbers; write _build/audit.csv
	$(PY) -m livingreview audit --output _build/audit.csv

datapackage: $(INSTALLED) ## regenerate data/datapackage.json from the data dictionary
	$(PY) -m livingreview datapackage

new-study: $(INSTALLED) ## create data/studies/<ID>/ from templates: make new-study ID=smith2026 [TOOL=robins_i|rob_2]
	@test -n "$(ID)" || { echo "usage: make new-study ID=<study_id> [TOOL=minors|robins_i|rob_2]"; exit 1; }
	$(PY) -m livingreview new-study $(ID) --rob-tool $(or $(TOOL),minors)

bench: $(INSTALLED) ## time cold/no-op/one-study builds against Jupyter Book's execution, weigh every page in Chromium; writes book/performance/ [DATA=data SIZES="25 50" STUDY=li2022 OUTPUT=book/performance]
	$(PY) -m livingreview $(if $(DATA),--data-dir $(DATA)) bench $(if $(SIZES),--sizes $(SIZES)) \
		$(if $(STUDY),--study $(STUDY)) $(if $(OUTPUT),--output $(OUTPUT))

metafor-fixtures: $(INSTALLED) ## regenerate the R metafor reference values the tests compare with (needs R + metafor)
	@command -v Rscript >/dev/null || { echo "Rscript not found: install R and metafor (Debian: apt-get install r-cran-metafor)"; exit 1; }
	$(PY) -m livingreview metafor-inputs --output tests/fixtures/metafor/inputs.csv
	Rscript tests/fixtures/metafor/make_reference.R

# Tests run on every core (pytest-xdist), one test file per worker at a time: the tests of one
# file share what they build (a site), so a file is never split. Files are taken in collection
# order, longest first (tests/conftest.py), not reordered by their number of tests.
PYTEST_PARALLEL := -n auto --dist loadfile --no-loadscope-reorder

test: $(INSTALLED) ## run the whole test suite (what CI runs): site builds, browser and benchmark included
	$(PY) -m pytest $(PYTEST_PARALLEL)

# The property-based test generates one review here instead of two.
test-fast: $(INSTALLED) ## run every test but the slow ones (no site build, no browser, no benchmark): the inner loop
	LIVINGREVIEW_FUZZ_EXAMPLES=1 $(PY) -m pytest $(PYTEST_PARALLEL) -m "not slow"

clean: ## remove build outputs (keeps .venv)
	rm -rf _build
