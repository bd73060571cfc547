"""Compiled templates kept for the process: what `make serve` rebuilds no longer compiles.

MkDocs builds the whole site again on every save of `make serve`, with a new Jinja
environment each time, and mkdocs-jupyter renders each notebook page with a new nbconvert
exporter, whose environment is new too: every template (Material's, overrides/,
nbconvert's) was parsed and compiled again for each rebuild, and nbconvert's for each
notebook. Both environments get a bytecode cache in this process's memory, one for each
kind: a template whose source is unchanged (Jinja checks a checksum of it) is loaded from
its compiled code. The pages come out the same; only the compiling is saved, in
`make docs` too (its notebooks share nbconvert's templates).
"""

from __future__ import annotations

import jinja2
from nbconvert.exporters.templateexporter import TemplateExporter


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Jinja's compiled templates, in this process's memory."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:  # the bucket drops it if the source's checksum differs
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


PAGE_TEMPLATES = MemoryBytecodeCache()  # MkDocs' environment: the theme's templates
NOTEBOOK_TEMPLATES = MemoryBytecodeCache()  # nbconvert's, for the notebook pages
_create_environment = TemplateExporter._create_environment


def notebook_environment(exporter: TemplateExporter) -> jinja2.Environment:
    environment = _create_environment(exporter)
    environment.bytecode_cache = NOTEBOOK_TEMPLATES
    return environment


def on_startup(command, dirty) -> None:
    TemplateExporter._create_environment = notebook_environment  # type: ignore[method-assign]


def on_env(env: jinja2.Environment, config, files) -> jinja2.Environment:
    env.bytecode_cache = PAGE_TEMPLATES
    return env
