# threads: `make demo` runs the main job on the embedded SQLite database; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?= -n 2

.PHONY: install demo test lint format bench clean docs docs-gen

# The last step compiles our own modules' bytecode, as pip does for every other package: where
# PYTHONDONTWRITEBYTECODE is set, each `threads` command would otherwise compile them (0.25 s).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	$(BIN)/python -m compileall -q threads cli > /dev/null
	touch $(STAMP)

install: $(STAMP)

SEEDS := fixtures/blogger-china-iran-relationship.txt fixtures/consortiumnews-us-policy-unites-iran-and-china.txt

# The main job on the embedded SQLite file ./threads.db: import the seed pages, classify their
# comments by topic, report on the seed threads and on every thread, and score the classifier on
# the labelled comments.
demo: install
	$(BIN)/threads ingest $(SEEDS)
	$(BIN)/threads classify
	$(BIN)/threads report --source fixtures/consortiumnews-us-policy-unites-iran-and-china.txt
	$(BIN)/threads report --source fixtures/blogger-china-iran-relationship.txt
	$(BIN)/threads report --all
	$(BIN)/threads evaluate --gold fixtures/labelled.jsonl --show 5

test: install
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-redis.sh
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-curl.sh
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The documentation site in site/ (strict: a broken link or a missing page fails the build);
# docs-gen rewrites the references generated from the code (a test fails when they are stale).
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-gen: install
	$(BIN)/python scripts/gen_docs.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) site threads.db threads.db-wal threads.db-shm .pytest_cache .mypy_cache .ruff_cache
