"""Time `make serve`: its first build, then edits saved while it serves, as a maintainer sees them.

    python benchmarks/bench_serve.py [--prose 5] [--seed] [--code] [--package]

It never touches the checkout: it copies the checkout's tracked files (as they are on disk)
into a temporary directory and runs `make serve` there (the Makefile's command line, the
checkout's venv, a free port), with the copy's own execution cache: empty (the first build
runs every chapter) or, with --seed, a copy of the checkout's `.execution-cache/` (a restart
with a full cache, when the entries match the code). Then, each timed from saving the file
to the served page showing a word the edit made unique (requests for a page wait until the
rebuild is done, as a browser's live reload does): --prose one-word edits of a sentence of
docs/index.md, --code a line added to a block of docs/prototyping.md (the chapter re-runs),
--package an edit of alphabet_tutorial/task.py's docstring (every chapter re-runs). Each
figure comes with the serve process's CPU time over it and the machine's load average.
It stops the server with SIGINT to its process group and removes the copy. Nothing is
asserted: the figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

from alphabet_tutorial.processes import free_ports

CHECKOUT = Path(__file__).resolve().parent.parent
BASE = "/alphabet-tutorial/"  # the site's path (mkdocs.yml's site_url); "/" only redirects
POLL_SECONDS = 0.1


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit status 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def arguments(argv):
    parser = Parser(prog="bench_serve.py", description=__doc__.splitlines()[0])
    parser.add_argument("--prose", type=int, default=5, help="one-word edits of docs/index.md")
    parser.add_argument("--code", action="store_true", help="one code edit of prototyping")
    parser.add_argument("--package", action="store_true", help="one package edit (all chapters)")
    parser.add_argument("--seed", action="store_true", help="start from .execution-cache/")
    parser.add_argument("--checkout", type=Path, default=CHECKOUT, help="the git checkout")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per figure")
    args = parser.parse_args(argv)
    if args.prose < 0:
        parser.error(f"--prose must be 0 or more, not {args.prose}")
    if args.timeout <= 0:
        parser.error(f"--timeout must be positive, not {args.timeout}")
    if not (args.checkout / ".git").exists():
        parser.error(f"--checkout {args.checkout} is not a git checkout")
    if args.seed and not any((args.checkout / ".execution-cache").glob("*.json")):
        parser.error(f"--seed: {args.checkout / '.execution-cache'} holds no entry")
    return args


def copy_checkout(checkout: Path, copy: Path) -> None:
    """The tracked files as they are on disk (a deleted one is left out)."""
    names = subprocess.run(
        ["git", "-C", str(checkout), "ls-files", "-z"], capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, names.split("\0")):
        source = checkout / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name, follow_symlinks=False)


class Serve:
    """`make serve` in the copy, in a session of its own, importing the copy's packages."""

    def __init__(self, copy: Path, root: Path, timeout: float):
        self.copy, self.timeout = copy, timeout
        self.port = free_ports(1)[0]
        venv = Path(sys.prefix)
        keep = {
            k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
        }
        env = {
            **keep,
            # the venv's editable installs point at the checkout: the copy's come first
            "PYTHONPATH": os.pathsep.join([str(copy / "tooling"), str(copy)]),
            "ALPHABET_EXECUTION_CACHE": str(copy / ".execution-cache"),
            "TMPDIR": str(root / "tmp"),  # what the server leaves there is counted, then removed
        }
        self.log = open(root / "serve.log", "w")
        self.make = subprocess.Popen(
            ["make", "--no-print-directory", "-C", str(copy), "serve", f"VENV={venv}",
             "-o", f"{venv}/.installed", f"SERVE_FLAGS=--dev-addr 127.0.0.1:{self.port}"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.mkdocs: psutil.Process | None = None

    def page(self, path: str = "") -> str:
        url = f"http://127.0.0.1:{self.port}{BASE}{path}"
        with urllib.request.urlopen(url, timeout=self.timeout) as response:
            return response.read().decode()

    def wait_for(self, word: str, path: str = "") -> float:
        """Seconds until the page shows `word`."""
        return self.wait_until(lambda page: word in page, path, repr(word))

    def wait_until(self, shows, path: str, what: str) -> float:
        """Seconds until `shows(page)` is true of the page at `path`."""
        start = time.monotonic()
        while time.monotonic() - start < self.timeout:
            if self.make.poll() is not None:
                raise RuntimeError(f"make serve exited {self.make.returncode}: {self.tail()}")
            try:
                if shows(self.page(path)):
                    return time.monotonic() - start
            except OSError:
                pass
            time.sleep(POLL_SECONDS)
        raise RuntimeError(f"{BASE}{path} never showed {what} in {self.timeout} s")

    def cpu(self) -> float:
        """CPU seconds of the mkdocs process so far, with its children it waited for."""
        if self.mkdocs is None:
            family = psutil.Process(self.make.pid).children(recursive=True)
            self.mkdocs = next(p for p in family if "mkdocs" in " ".join(p.cmdline()))
        t = self.mkdocs.cpu_times()
        return t.user + t.system + t.children_user + t.children_system

    def tail(self) -> str:
        self.log.flush()
        return " | ".join((self.copy.parent / "serve.log").read_text().splitlines()[-5:])

    def stop(self) -> list[str]:
        """SIGINT to the process group, as Ctrl-C would; what was still running after
        (killed): the group's processes and make's descendants, even those in a new session."""
        family = processes(self.make.pid)
        os.killpg(self.make.pid, signal.SIGINT)
        try:
            self.make.wait(60)
        except subprocess.TimeoutExpired:
            pass
        left = []
        for process in family:
            try:
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    left.append(" ".join(process.cmdline()[:3]))
                    process.kill()
            except psutil.Error:
                pass
        self.make.wait()
        self.log.close()
        return left


def processes(leader: int) -> list[psutil.Process]:
    """The processes of `leader`'s process group and its descendants."""
    found = {}
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == leader:
                found[process.pid] = process
        except (OSError, psutil.Error):
            pass
    try:
        found.update({p.pid: p for p in psutil.Process(leader).children(recursive=True)})
    except psutil.Error:
        pass
    return list(found.values())


def timed(serve: Serve, edit, wait) -> tuple[float, float]:
    """Wall and CPU seconds from saving the edit to the page showing it (`wait()`)."""
    cpu = serve.cpu()
    edit()
    wall = wait()
    return wall, serve.cpu() - cpu


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise RuntimeError(f"{path.name} has no {old!r} to edit")
    path.write_text(text.replace(old, new, 1))


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def figure(name: str, wall: float, cpu: float) -> str:
    return f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU ({load()})"


def spread(name: str, values: list[float]) -> str:
    median, low, high = statistics.median(values), min(values), max(values)
    return f"{name}: median {median:.2f} s, range {low:.2f}-{high:.2f} s"


def note(page: str) -> str:
    """The page's line on where its outputs come from ("" if it runs no code)."""
    found = re.search(r"Outputs (?:fresh|from the execution cache)[^<]*", page)
    return found[0] if found else ""


def chapter_notes(serve: Serve) -> str:
    """How many chapters (the pages the home page links to) show fresh or cached outputs."""
    home = serve.page()
    paths = ["", *sorted(set(re.findall(r'href="([a-z0-9-]+/)"', home)))]
    notes = [note(serve.page(path)) for path in paths]
    fresh = sum(n.startswith("Outputs fresh") for n in notes)
    cached = sum(n.startswith("Outputs from") for n in notes)
    return f"{fresh} chapter(s) ran, {cached} from the cache"


def measure(serve: Serve, args) -> None:
    docs, tag = serve.copy / "docs", os.getpid()
    start = time.monotonic()
    serve.wait_for("</html>")  # the server answers once its first build is done
    print(f"first build: {time.monotonic() - start:.1f} s wall ({load()}); "
          f"{chapter_notes(serve)}", flush=True)  # fmt: skip

    index = docs / "index.md"
    lines = index.read_text().splitlines()
    sentence = next((line for line in lines if re.match(r"[A-Z][a-z]+ ", line)), None)
    if sentence is None:
        raise RuntimeError("docs/index.md has no line of prose that starts with a word")
    rest, walls, cpus = sentence[len(sentence.split()[0]) :], [], []
    for n in range(args.prose):
        word = f"Benchword{n}x{tag}"  # the sentence's first word, replaced (the whole line)
        edited = word + rest
        wall, cpu = timed(
            serve,
            lambda old=sentence, new=edited: replace(index, old, new),
            lambda word=word: serve.wait_for(word),
        )
        sentence = edited
        walls.append(wall)
        cpus.append(cpu)
        print("  " + figure(f"prose edit {n + 1} of docs/index.md", wall, cpu), flush=True)
    if walls:
        print(spread(f"prose edit, {args.prose} edits, wall", walls))
        print(spread(f"prose edit, {args.prose} edits, CPU", cpus), flush=True)

    if args.code:
        chapter = docs / "prototyping.md"
        line = re.search(r"^print\(.*\)$", chapter.read_text(), re.M)
        if line is None:
            raise RuntimeError("docs/prototyping.md has no print( line to add one after")
        new = f"{line[0]}\nprint('Benchcode' + '{tag}')"  # the code shows the word in halves
        wall, cpu = timed(
            serve,
            lambda: replace(chapter, line[0], new),
            lambda: serve.wait_for(f"Benchcode{tag}", "prototyping/"),
        )
        ran = note(serve.page("prototyping/"))
        print(figure("code edit of docs/prototyping.md", wall, cpu) + f"; {ran}", flush=True)

    if args.package:
        task = serve.copy / "alphabet_tutorial" / "task.py"
        before = note(serve.page("prototyping/"))
        wall, cpu = timed(
            serve,
            lambda: replace(task, '"""', f'"""Bench {tag}. '),
            lambda: serve.wait_until(
                lambda page: note(page) not in (before, "") and "fresh" in note(page),
                "prototyping/",
                "a fresh run",
            ),
        )
        print(figure("package edit (task.py's docstring)", wall, cpu) + f"; {chapter_notes(serve)}")


def main(argv=None) -> int:
    args = arguments(argv)
    checkout = args.checkout.resolve()
    root = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    serve = None
    # The cleanup below runs on Ctrl-C and SIGTERM, even when started where SIGINT is
    # ignored (a background job), which `make serve` would otherwise inherit.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        copy = root / "repo"
        copy_checkout(checkout, copy)
        (root / "tmp").mkdir()
        seeded = ""
        if args.seed:
            shutil.copytree(checkout / ".execution-cache", copy / ".execution-cache")
            seeded = f"seeded from {checkout / '.execution-cache'}"
        print(
            f"make serve of a copy of {checkout}; execution cache: "
            f"{seeded or 'empty (the first build runs every chapter)'}; "
            f"{os.cpu_count()} cores, load {os.getloadavg()}",
            flush=True,
        )
        serve = Serve(copy, root, args.timeout)
        measure(serve, args)
    except RuntimeError as error:  # the server failed or never showed an edit: one line
        print(f"bench_serve.py: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: the server stopped below, no traceback
        return 130
    finally:
        if serve is not None:
            left = serve.stop()
            stray = os.listdir(root / "tmp")
            print(
                f"stopped by SIGINT to its process group: {len(left)} process(es) still running "
                f"(killed){': ' + ', '.join(left) if left else ''}, {len(stray)} file(s) left in "
                f"its TMPDIR{': ' + ', '.join(stray) if stray else ''}; load {os.getloadavg()}"
            )
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
