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
text; then each matplotlib figure the block left open, as an SVG image, as Jupyter's
inline backend shows a figure at the end of a cell (matplotlib draws with its Agg backend
here, where `plt.show()` shows nothing). A block that raises, writes to stderr or shows a
kind of output the page and Colab cannot both show fails the build with the chapter's
file and line. The outputs stay with
the page (`page.meta["code_outputs"]`), where hooks/notebooks.py takes them for the
chapter's notebook: the code runs once, and page and notebook show the same outputs.
Until the page is rendered, `page.meta["code_sessions"]` also holds what each fence left
behind, `(line of the fence, its session's globals)`: hooks/widget.py takes the model a
chapter trained from there.

Each block has a time limit (BLOCK_SECONDS, longer for the chapters that measure): past
it the build fails naming the chapter and line, and the processes the block started are
stopped. Under `mkdocs serve` (`make serve`) alone, a chapter whose code and environment
are unchanged takes its outputs from the execution cache (hooks/execution_cache.py), a
chapter whose code fails shows the error on its page instead of stopping the preview, and
each page says in one line whether its outputs are fresh or cached, and from when.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import datetime
import io
import os
import re
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import psutil
from IPython.core.formatters import DisplayFormatter
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from alphabet_site import execution_cache
from alphabet_site.fences import Fence, parse
from alphabet_site.terminal import shown as displayed
from alphabet_tutorial import env, stopping

# What the page shows of a result, richest first; text/plain is every result's fallback.
RICH = ("image/svg+xml", "text/html")
# matplotlib's warning when `plt.show()` has no window to open (Agg, with a display set).
NOT_SHOWN = "FigureCanvasAgg is non-interactive, and thus cannot be shown"
# Seconds one code block may run, and the longer limits of the chapters that measure
# (repeated training runs, worker processes), as a loaded 2-core machine needs them.
BLOCK_SECONDS = 300
MEASURED_BLOCK_SECONDS = {
    "backends.md": 900,
    "beyond-one-machine.md": 900,
    "conclusions.md": 900,
    "prototyping.md": 600,
}


@dataclass(frozen=True)
class Output:
    """What one fence showed: its printed text, its result as a MIME bundle (None when its
    last line is not an expression, or is None), and the matplotlib figures it left open,
    each as a MIME bundle (an SVG image)."""

    text: str
    result: dict[str, str] | None
    figures: list[dict[str, str]] = field(default_factory=list)


class BlockTimeout(BaseException):
    """A block ran past its limit (a BaseException: the block's `except Exception` cannot
    swallow it)."""


def on_startup(command, dirty) -> None:
    # Before any fence imports Keras or TensorFlow. TensorFlow writes a module to the
    # temporary directory for each tf.function and deletes it at exit: Python must not
    # leave its bytecode behind there.
    env.setup(private_keras_home=True)
    os.environ["MPLBACKEND"] = "Agg"  # figures are drawn, never opened in a window
    sys.dont_write_bytecode = True
    if command == "serve":  # the preview alone reads and writes the execution cache
        execution_cache.ENABLED = True
        # SIGTERM and SIGHUP stop the server as Ctrl-C does: the running block's processes
        # stopped, the workers stopped (on_shutdown), the temporary directories removed.
        for stop in stopping.STOP_SIGNALS:
            signal.signal(stop, interrupt)


def interrupt(signum, frame) -> None:
    """The first stop interrupts; the next ones are ignored, or one arriving while the
    server shuts down (a group's SIGTERM, which make also passes on) would leave its
    thread running and the process waiting for it for ever."""
    for stop in stopping.STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def on_shutdown() -> None:
    """`mkdocs serve` ends: no process it started outlives it (the backends' workers, a
    stopped block's processes)."""
    stop_started(set())


def on_config(config):
    """The preview also keeps mkdocs-jupyter's rendering of each notebook page, keyed on the
    notebook's bytes (which hold this build's outputs): an unchanged notebook is not
    converted again. The published build renders every notebook (mkdocs.yml: cache false)."""
    jupyter = config.plugins.get("mkdocs-jupyter")
    if execution_cache.enabled() and jupyter is not None:
        jupyter.config["cache"] = True
        jupyter.config["cache_dir"] = str(execution_cache.DIRECTORY / "notebook-pages")
    return config


def on_pre_build(config) -> None:
    if execution_cache.enabled():
        execution_cache.new_build()


@event_priority(50)  # before other hooks change the page: it is what pytest-codeblocks reads
def on_page_markdown(markdown: str, page, config, files) -> str:
    path = Path(config["docs_dir"]).name + "/" + page.file.src_uri
    fences = [fence for fence in parse(markdown) if fence.runnable]
    if not fences:
        page.meta["execution"] = "This page runs no code."
        if page.file.src_uri.startswith("notebooks/"):
            page.meta["execution"] = "The outputs of its chapter's run (the chapter says when)."
        return markdown
    cached = execution_cache.enabled()
    key = execution_cache.chapter_key(markdown) if cached else ""
    entry = execution_cache.load(page.file.src_uri, key) if cached else None
    if entry is not None:
        outputs = [Output(*output) for output in entry["outputs"]]
        page.meta["code_derived"] = entry["derived"]
        page.meta["execution"] = (
            f"Outputs from the execution cache: run at {entry['ran']} in {entry['seconds']:.1f} s."
        )
        return with_outputs(markdown, page, fences, outputs)
    sessions: dict[int, dict] = {}
    outputs, error = [], None
    ran = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    started = time.monotonic()
    with fresh_working_directory():
        for fence in fences:
            namespace = sessions.setdefault(fence.session, {"__name__": "__main__"})
            limit = MEASURED_BLOCK_SECONDS.get(page.file.src_uri, BLOCK_SECONDS)
            try:
                outputs.append(run(fence, namespace, path, page.file.abs_src_path, limit))
            except PluginError as failure:
                if not cached:
                    raise
                error = failure  # the preview shows it on the page and serves the others
                break
    page.meta["code_sessions"] = [(f.start, sessions[f.session]) for f in fences[: len(outputs)]]
    if error is not None:
        fence = fences[len(outputs)]
        page.meta["code_error"] = str(error)
        page.meta["execution"] = (
            f"The code failed at {path}, line {fence.start + 1}, shown below (`make docs` "
            f"fails there): run at {ran}."
        )
        print(f"make serve: {error}", file=sys.stderr)  # a logged warning would stop the preview
        lines = markdown.splitlines()
        lines[fence.end + 1 : fence.end + 1] = failure_shown(fence, str(error))
        markdown = "\n".join(lines) + "\n"
        outputs += [Output("", None)] * (len(fences) - len(outputs))  # the blocks not run
        return with_outputs(markdown, page, fences, outputs)
    seconds = time.monotonic() - started
    page.meta["execution"] = f"Outputs fresh: run at {ran} in {seconds:.1f} s."
    if cached:  # stored once the page's other hooks have added what they derive from the run
        page.meta["code_derived"] = {}
        page.meta["cache_entry"] = {
            "key": key,
            "ran": ran,
            "seconds": seconds,
            "outputs": [[output.text, output.result, output.figures] for output in outputs],
        }
    return with_outputs(markdown, page, fences, outputs)


def derived(page, name: str, make):
    """What another hook derives from the chapter's run (`make()`, which reads
    `page.meta["code_sessions"]`), kept under `name` in the chapter's execution cache entry
    in the preview, and given back from there when the chapter's outputs come from the
    cache (it did not run: no `code_sessions`)."""
    kept = page.meta.get("code_derived")
    if kept is not None and "code_sessions" not in page.meta:
        return kept[name]
    made = make()
    if kept is not None:
        kept[name] = made
    return made


def with_outputs(markdown: str, page, fences: list[Fence], outputs: list[Output]) -> str:
    """The page with each fence's output under it; the outputs kept for the notebook."""
    page.meta["code_outputs"] = [
        (fence.code, output) for fence, output in zip(fences, outputs, strict=True)
    ]
    lines = markdown.splitlines()
    for fence, output in reversed(list(zip(fences, outputs, strict=True))):
        lines[fence.end + 1 : fence.end + 1] = shown(fence, output)
    return "\n".join(lines) + "\n"


def on_page_content(html: str, page, config, files) -> str:
    page.meta.pop("code_sessions", None)  # the chapter's models and data: no longer needed
    entry = page.meta.pop("cache_entry", None)
    if entry is not None:
        execution_cache.store(page.file.src_uri, {**entry, "derived": page.meta["code_derived"]})
    if execution_cache.enabled():  # the preview's line on where the outputs come from
        note = f'<p class="execution-note"><small>{page.meta["execution"]}</small></p>'
        heading = html.find("</h1>")
        at = heading + len("</h1>") if heading >= 0 else 0
        html = html[:at] + note + html[at:]
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


def run(fence: Fence, namespace: dict, path: str, source: str, seconds: float) -> Output:
    """Execute one fence as a notebook cell, for at most `seconds`. Tracebacks show the
    chapter's lines."""
    where = f"{path}, line {fence.start + 1}"
    tree = ast.parse("\n" * (fence.start + 1) + fence.code, source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    stdout, stderr = io.StringIO(), io.StringIO()
    value = None
    try:
        with time_limit(seconds), contextlib.redirect_stdout(stdout):
            with contextlib.redirect_stderr(stderr), warnings.catch_warnings():
                # `plt.show()` on Agg warns where a display is set: the figure is shown below
                warnings.filterwarnings("ignore", NOT_SHOWN)
                exec(compile(tree, source, "exec"), namespace)
                if isinstance(last, ast.Expr):  # the value Jupyter shows as the cell's Out[n]
                    value = eval(compile(ast.Expression(last.value), source, "eval"), namespace)
                result = None if value is None else DisplayFormatter().format(value)[0]
                figures = open_figures()
    except BlockTimeout as error:
        raise PluginError(
            f"{where}: the code block ran past its limit of {seconds:g} s "
            f"(BLOCK_SECONDS in alphabet_site/hooks/execute.py) and was stopped, and {error}"
        ) from None
    except (KeyboardInterrupt, SystemExit):
        raise  # the build is being stopped (time_limit stopped the block's processes)
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
    return Output(displayed(stdout.getvalue()), result, figures)


def open_figures() -> list[dict[str, str]]:
    """Each matplotlib figure left open, as an SVG image (its MIME bundle), then closed:
    what Jupyter's inline backend shows at the end of a cell. The same SVG every build: no
    date in it, and its element ids hashed with a fixed salt. Its text stays text, in the
    page's sans-serif font where DejaVu Sans is missing (half the bytes of glyph outlines)."""
    if "matplotlib.pyplot" not in sys.modules:  # nothing drawn: no import of matplotlib
        return []
    import matplotlib.pyplot as plt

    figures = []
    with plt.rc_context({"svg.hashsalt": "alphabet-tutorial", "svg.fonttype": "none"}):
        for number in plt.get_fignums():
            figure = plt.figure(number)
            svg = io.StringIO()
            figure.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
            image = svg.getvalue()
            image = image[image.index("<svg") :]  # no XML prolog: it goes into a page
            root, rest = image.split(">", 1)  # its size in CSS pixels, not points
            root = re.sub(r'(width|height)="([\d.]+)pt"', in_pixels, root)
            title = f"<title>{escape(described(figure))}</title>"  # its text alternative
            # text/plain as a kernel writes it ("<Figure size 640x480 with 1 Axes>")
            figures.append({"image/svg+xml": f"{root}>{title}{rest}", "text/plain": repr(figure)})
    plt.close("all")
    return figures


def in_pixels(size: re.Match) -> str:
    return f'{size[1]}="{float(size[2]) * 4 / 3:.0f}"'  # 72 points, 96 CSS pixels an inch


def described(figure) -> str:
    """What a figure plots, in words, from its axes: the image's text alternative."""
    parts = []
    for axes in figure.axes:
        said = f"{axes.get_title()}: " if axes.get_title() else ""
        said += f"{axes.get_ylabel() or 'values'} against {axes.get_xlabel() or 'their index'}"
        labels = [line.get_label() for line in axes.get_lines()]
        labels = [label for label in labels if not label.startswith("_")]  # in the legend
        parts.append(f"{said}, one line each: {'; '.join(labels)}" if labels else said)
    return "Plot of " + ". ".join(parts) if parts else "A figure"


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise BlockTimeout in the body once `seconds` have passed; when the body ends by an
    exception (the limit, a stop), stop the processes it started and left running.

    A watchdog thread, not an alarm: the signal goes to the main thread itself (a process
    alarm may land in one of TensorFlow's threads and leave the main one waiting)."""
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    main = threading.main_thread().ident
    if threading.get_ident() != main:  # only the main thread can take a signal's exception
        yield
        return
    expired = threading.Event()
    done = threading.Event()

    def watch() -> None:
        if not done.wait(seconds):
            expired.set()
            signal.pthread_kill(main, signal.SIGALRM)
            if not done.wait(10):  # the main thread waits in C code: end what it waits for
                stop_started(before)

    def on_alarm(signum, frame) -> None:
        if expired.is_set():
            raise BlockTimeout(stop_started(before))

    previous = signal.signal(signal.SIGALRM, on_alarm)
    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    try:
        yield
    except BaseException:
        stop_started(before)
        raise
    finally:
        done.set()
        watchdog.join()
        signal.signal(signal.SIGALRM, previous)


def stop_started(before: set[int]) -> str:
    """Stop this process's descendants that are not in `before`; say how many there were."""
    started = [c for c in psutil.Process().children(recursive=True) if c.pid not in before]
    for child in started:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.terminate()
    _, alive = psutil.wait_procs(started, timeout=5)
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(alive, timeout=5)
    return f"the {len(started)} process(es) it started were stopped"


def failure_shown(fence: Fence, message: str) -> list[str]:
    """Under the failing fence, in the preview: the error, as the strict build reports it."""
    lines = ["", '!!! failure "This block failed: `make docs` stops here"', ""]
    lines += ["    " + line if line else line for line in text_block(message)[1:]]
    return [fence.indent + line if line else line for line in lines]


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
    for figure in output.figures:  # an image: its ids and styles stay its own
        svg = base64.b64encode(figure["image/svg+xml"].encode()).decode()
        title = re.search(r"<title>(.*?)</title>", figure["image/svg+xml"])
        alt = title[1] if title else ""  # escaped already
        image = f'<img alt="{alt}" src="data:image/svg+xml;base64,{svg}">'
        lines += ["", "<figure>", image, "</figure>", ""]
    return [fence.indent + line if line else line for line in lines]


def text_block(text: str) -> list[str]:
    body = text.rstrip("\n").splitlines()
    ticks = "`" * max(3, *(len(line) - len(line.lstrip("`")) + 1 for line in body))
    return ["", f"{ticks}text", *body, ticks]
