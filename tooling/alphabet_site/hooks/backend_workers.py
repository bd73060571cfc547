"""Start the backends chapter's processes when the build starts.

The chapter "One model, three backends" trains the Keras model in one process per
backend (alphabet_tutorial/backends.py). Started only when its block runs, the three
would import TensorFlow, JAX and PyTorch while the build waits; started here, before any
page runs, they import while the earlier chapters execute, and the chapter's
`compare_backends` takes them. Those it does not take are stopped when the build ends
or fails; each also ends by itself when the build's process dies (its input closes).
Under `make serve`, a build that takes the chapter's outputs from the execution cache
starts none.
"""

from __future__ import annotations

from alphabet_site import execution_cache
from alphabet_tutorial import backends

CHAPTER = "backends.md"


def on_files(files, config):
    chapter = next((f for f in files.documentation_pages() if f.src_uri == CHAPTER), None)
    if chapter is not None and not execution_cache.will_reuse(chapter):
        backends.start_processes(b for b in backends.BACKENDS if backends.is_installed(b))
    return files


def on_post_build(config) -> None:
    backends.stop_processes()


def on_build_error(error) -> None:
    backends.stop_processes()
