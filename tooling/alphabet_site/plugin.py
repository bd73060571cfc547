"""The MkDocs plugin of the site: every module of `alphabet_site.hooks`, in one plugin.

mkdocs.yml names it (`plugins: [..., alphabet-site]`), and MkDocs finds it through the
`mkdocs.plugins` entry point of tooling/pyproject.toml. Each hook module is a plain
MkDocs hook (module-level `on_*` functions, some with `event_priority`); the plugin
registers each function for its event with its own priority (MkDocs' `CombinedEvent`), in
the order of HOOKS, as MkDocs' `hooks:` list did. The modules are imported once, as
modules of this package, so state they share is one copy.
"""

from __future__ import annotations

from mkdocs.plugins import BasePlugin, CombinedEvent

from alphabet_site.hooks import (
    architecture,
    backend_workers,
    execute,
    facts,
    images,
    measured,
    no_mathjax,
    notebook_pages,
    notebooks,
    run_data,
    templates,
    tensorboard_figures,
    theme_css,
    widget,
)

HOOKS = (
    execute,  # run every python fence once, show its output under it
    backend_workers,  # the backends chapter's processes, started early
    run_data,  # the runs of the scale-out and backends chapters, as runs.json
    measured,  # sentences that state what a chapter's own run found
    notebooks,  # one notebook per chapter, with the outputs execute got
    no_mathjax,  # notebook pages load no MathJax from a CDN
    tensorboard_figures,  # the TensorBoard screenshots, placed from their manifest
    architecture,  # the architecture diagram, drawn from the model's shapes
    widget,  # the next-letter widget's form, and this build's weights for it
    images,  # every image gets its size, lazy loading and smaller copies (srcset)
    notebook_pages,  # notebook pages: their CSS pruned into the head, valid
    facts,  # numbers in the prose and the equations, computed at build time
    theme_css,  # Material's stylesheets pruned to the rules the pages could use
    templates,  # compiled templates kept for the process (a rebuild compiles none again)
)
EVENTS = sorted({name for hook in HOOKS for name in vars(hook) if name.startswith("on_")})


class SitePlugin(BasePlugin):
    """Runs the hooks' event functions; it has no options of its own."""


for _event in EVENTS:  # staticmethod: the hooks' functions take no plugin instance
    _handlers = (staticmethod(vars(hook)[_event]) for hook in HOOKS if _event in vars(hook))
    setattr(SitePlugin, _event, CombinedEvent(*_handlers))
