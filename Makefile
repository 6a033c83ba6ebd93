# Huike: `make local` runs the whole product on this machine; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAM_STAMP := $(SAM_VENV)/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
export TZ := UTC
export PYTHONPATH := $(CURDIR):$(CURDIR)/layers/huike/python
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: local test test-fast lint bench bench-import build deploy openapi docs-screenshot clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	touch $(STAMP)

$(SAM_STAMP):
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	cd $(SAM_VENV) && env -u PYTHONPATH ./bin/python -m pip install --quiet "aws-sam-cli==1.170.0"
	touch $(SAM_STAMP)

# checkov pins its own dependency tree: its own venv, like the SAM CLI.
$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	cd $(CHECKOV_VENV) && env -u PYTHONPATH ./bin/python -m pip install --quiet "checkov==3.3.30"
	touch $(CHECKOV_STAMP)

local: $(STAMP)
	$(PY) -m infra.local

test: $(STAMP)
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest tests/unit

lint: $(STAMP) $(SAM_STAMP) $(CHECKOV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/huike/python/huike
	$(VENV)/bin/mypy infra benchmarks
	for handler in functions/*/app.py; do $(VENV)/bin/mypy $$handler || exit 1; done
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/cfn-lint template.yaml
	env -u PYTHONPATH $(SAM_VENV)/bin/sam validate --lint
	env -u PYTHONPATH $(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml

bench: $(STAMP)
	$(PY) -m benchmarks

# Section (g) with the import applied end to end at 100,000 rows (about 40 minutes here).
bench-import: $(STAMP)
	HUIKE_BENCH_IMPORT_ROWS=100000 $(PY) -m benchmarks.intelligence

openapi: $(STAMP)
	$(PY) -m infra.openapi

# Swagger UI (/v1/docs) rendered by headless Chromium (apt-get install chromium) -> docs/swagger-ui.png
docs-screenshot: $(STAMP)
	$(PY) scripts/screenshot_docs.py

build: $(SAM_STAMP)
	env -u PYTHONPATH $(SAM_VENV)/bin/sam build

# make deploy ENV=dev|prod: build, then deploy samconfig.toml's [ENV] environment (stack huike-ENV).
# ENV is taken from the command line only (some shells export ENV, the path of their startup file).
ifneq ($(origin ENV),command line)
ENV := dev
endif
deploy: $(SAM_STAMP)
	env -u PYTHONPATH $(SAM_VENV)/bin/sam build && env -u PYTHONPATH $(SAM_VENV)/bin/sam deploy --config-env $(ENV)

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .local
