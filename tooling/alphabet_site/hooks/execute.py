"""Run every python fence of every chapter, once per build, and show what it printed.

The chapters hold plain ```python fences, the blocks pytest-codeblocks tests. This hook
runs them in the MkDocs process the way pytest-codeblocks does (fences chained with
`<!--pytest-codeblocks:cont-->` share their globals, the others start afresh), in a
fresh working directory for each chapter (so the code writes `runs/` as a reader would,
never into the repository), and puts under each fence what it showed, as Jupyter shows
it: what it printed, as a text block (a line the code redrew, such as `fit`'s progress
bar, as the reader saw it last: terminal.py), then the value of its last line when that is an
expression (Jupyter's `Out[n]`), rendered from the MIME bundle IPython makes of it: an
SVG image, HTML (a table of `alphabet_tutorial.display.Markdown`), or else its plain
text. A block that raises, writes to stderr or shows a kind of output the page and Colab
cannot both show fails the build with the chapter's file and line. The outputs stay with
the page (`page.meta["code_outputs"]`), where hooks/notebooks.py takes them for the
chapter's notebook: the code runs once, and page and notebook show the same outputs.
Until the page is rendered, `page.meta["code_sessions"]` also holds what each fence left
behind, `(line of the fence, its session's globals)`: hooks/widget.py takes the model a
chapter trained from there.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from IPython.core.formatters import DisplayFormatter
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from alphabet_site.fences import Fence, parse
from alphabet_site.terminal import shown as displayed
from alphabet_tutorial import env

# What the page shows of a result, richest first; text/plain is every result's fallback.
RICH = ("image/svg+xml", "text/html")


@dataclass(frozen=True)
class Output:
    """What one fence showed: its printed text, and its result as a MIME bundle (None
    when its last line is not an expression, or is None)."""

    text: str
    result: dict[str, str] | None


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


def run(fence: Fence, namespace: dict, path: str, source: str) -> Output:
    """Execute one fence as a notebook cell. Tracebacks show the chapter's lines."""
    where = f"{path}, line {fence.start + 1}"
    tree = ast.parse("\n" * (fence.start + 1) + fence.code, source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    stdout, stderr = io.StringIO(), io.StringIO()
    value = None
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            exec(compile(tree, source, "exec"), namespace)
            if isinstance(last, ast.Expr):  # the value Jupyter shows as the cell's Out[n]
                value = eval(compile(ast.Expression(last.value), source, "eval"), namespace)
            result = None if value is None else DisplayFormatter().format(value)[0]
    except BaseException as error:
        raise PluginError(
            f"{where}: the code block raised {type(error).__name__}: {error}\n"
            f"{traceback.format_exc()}"
        ) from error
    if stderr.getvalue():
        raise PluginError(
            f"{where}: the code block wrote to stderr "
            f"(a reader of the notebook would see it):\n{stderr.getvalue()}"
        )
    unshown = sorted(set(result or {}) - {"text/plain", *RICH})
    if unshown:
        raise PluginError(
            f"{where}: the block's last line shows {', '.join(unshown)}, which the page or "
            f"Colab cannot show: give it one of {', '.join(RICH)} (alphabet_tutorial.display)"
        )
    return Output(displayed(stdout.getvalue()), result)


def shown(fence: Fence, output: Output) -> list[str]:
    """The lines that show `output` under its fence, indented like the fence."""
    lines = text_block(output.text) if output.text.strip() else []
    result = output.result or {}
    if "image/svg+xml" in result:
        lines += ["", "<figure>", *result["image/svg+xml"].splitlines(), "</figure>", ""]
    elif "text/html" in result:
        lines += ["", *result["text/html"].splitlines(), ""]
    elif result:
        lines += text_block(result["text/plain"])
    return [fence.indent + line if line else line for line in lines]


def text_block(text: str) -> list[str]:
    body = text.rstrip("\n").splitlines()
    ticks = "`" * max(3, *(len(line) - len(line.lstrip("`")) + 1 for line in body))
    return ["", f"{ticks}text", *body, ticks]
