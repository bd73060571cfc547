"""Run every python fence of every chapter, once per build, and show what it printed.

The chapters hold plain ```python fences, the blocks pytest-codeblocks tests. This hook
runs them in the MkDocs process the way pytest-codeblocks does (fences chained with
`<!--pytest-codeblocks:cont-->` share their globals, the others start afresh) and puts
under each fence what it printed: a text block, or Markdown for a fence marked
`<!-- output: markdown -->`. Each chapter runs in a fresh, empty working directory,
removed after it, as a reader's notebook would start in one: the chapters write `runs/`
or `best.keras` where a reader would, and nothing lands in the repository. A block that
raises, or writes to stderr, fails the build with the chapter's file and line. The outputs
stay with the page (`page.meta["code_outputs"]`), where hooks/notebooks.py takes them for
the chapter's notebook: the code runs once, and page and notebook show the same outputs.
Until the page is rendered, `page.meta["code_sessions"]` also holds what each fence left
behind, `(line of the fence, its session's globals)`: hooks/widget.py takes the model a
chapter trained from there.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import traceback
from pathlib import Path

from fences import Fence, parse
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from alphabet_tutorial import env


def on_startup(command, dirty) -> None:
    # Before any fence imports Keras or TensorFlow. TensorFlow writes a module to the
    # temporary directory for each tf.function and deletes it at exit: Python must not
    # leave its bytecode behind there.
    env.setup(private_keras_home=True)
    sys.dont_write_bytecode = True


@event_priority(50)  # before other hooks change the page: it is what pytest-codeblocks reads
def on_page_markdown(markdown: str, page, config, files) -> str:
    path = Path(config["docs_dir"]).name + "/" + page.file.src_uri
    fences = [fence for fence in parse(markdown) if fence.runnable]
    sessions: dict[int, dict] = {}
    ran = []
    with fresh_working_directory():
        for fence in fences:
            namespace = sessions.setdefault(fence.session, {"__name__": "__main__"})
            ran.append((fence, run(fence, namespace, path, page.file.abs_src_path)))
    page.meta["code_outputs"] = [(fence.code, output) for fence, output in ran]
    page.meta["code_sessions"] = [(fence.start, sessions[fence.session]) for fence, _ in ran]
    lines = markdown.splitlines()
    for fence, output in reversed(ran):
        lines[fence.end + 1 : fence.end + 1] = shown(fence, output)
    return "\n".join(lines) + "\n"


def on_page_content(html: str, page, config, files) -> str:
    page.meta.pop("code_sessions", None)  # the chapter's models and data: no longer needed
    return html


@contextlib.contextmanager
def fresh_working_directory():
    """Run the body in a new empty directory, then go back and remove it with its files."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="chapter-") as directory:
        os.chdir(directory)
        try:
            yield directory
        finally:
            os.chdir(previous)


def run(fence: Fence, namespace: dict, path: str, source: str) -> str:
    """Execute one fence; what it printed. Tracebacks show the chapter's lines."""
    code = compile("\n" * (fence.start + 1) + fence.code, source, "exec")
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            exec(code, namespace)
    except BaseException as error:
        raise PluginError(
            f"{path}, line {fence.start + 1}: the code block raised "
            f"{type(error).__name__}: {error}\n{traceback.format_exc()}"
        ) from error
    if stderr.getvalue():
        raise PluginError(
            f"{path}, line {fence.start + 1}: the code block wrote to stderr "
            f"(a reader of the notebook would see it):\n{stderr.getvalue()}"
        )
    return stdout.getvalue()


def shown(fence: Fence, output: str) -> list[str]:
    """The lines that show `output` under its fence, indented like the fence."""
    if not output.strip():
        return []
    body = output.rstrip("\n").splitlines()
    if fence.markdown_output:
        return ["", *(fence.indent + line if line else line for line in body), ""]
    ticks = "`" * max(3, *(len(line) - len(line.lstrip("`")) + 1 for line in body))
    return [
        "",
        f"{fence.indent}{ticks}text",
        *(fence.indent + line for line in body),
        f"{fence.indent}{ticks}",
    ]
