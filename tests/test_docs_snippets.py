"""No code on the pages escapes testing.

pytest-codeblocks (`pytest --codeblocks docs/`) runs exactly the fences whose info string
is `python`, `sh` or `bash`; anything else it skips without a word. These tests pin that
every python-like fence in docs/ is either such a block, a display-only include of
package source, or a notebook cell of IPython's own lines (```ipython, which
tests/test_notebooks.py runs in a reader's kernel), that the build (alphabet_site/hooks/execute.py)
runs the very blocks pytest runs, and that a failing block added to a chapter fails both
the snippet tests and the build.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pytest_codeblocks.main import extract_from_file

from alphabet_site.fences import parse

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
CHAPTERS = sorted(DOCS.glob("*.md"))
BIN = Path(sys.executable).parent


PYTHON_LIKE = {"python", "py", "python3", "py3", "pycon", "ipython", "ipython3"}
# Fences that pytest-codeblocks would run as shell commands: none on our pages.
SHELL = {"sh", "bash", "zsh", "shell"}
INCLUDE_TITLE = re.compile(r'^py title="alphabet_tutorial/[\w/]+\.py"$')
INCLUDE_LINE = re.compile(r'^--8<-- "alphabet_tutorial/[\w/]+\.py:[\w-]+"$')
# The fences ruff formats in Markdown (its languages python, py, python3, py3, pyi).
RUFF_LANGUAGES = {"python", "py", "python3", "py3", "pyi"}
FAILING = 'raise RuntimeError("a deliberately failing snippet")\n'


def language(info: str) -> str:
    return re.split(r"[\s{]", info.strip().lstrip("{").lstrip("."), maxsplit=1)[0].lower()


def test_the_chapters_are_found():
    assert {path.name for path in CHAPTERS} >= {
        "index.md",
        "recap.md",
        "what-is-keras.md",
        "keras-implementation.md",
        "conclusions.md",
    }


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.name)
def test_the_chapters_python_is_formatted_as_ruff_formats_it(chapter, tmp_path):
    """The Python fences of a chapter, package includes aside, as `ruff format` leaves them
    with this project's settings. (pyproject.toml keeps ruff's own Markdown formatting off
    docs/, which would rewrite the `--8<--` include lines as Python.)"""
    fences = [
        fence
        for fence in parse(chapter.read_text(encoding="utf-8"))
        if language(fence.info) in RUFF_LANGUAGES
        and not any(INCLUDE_LINE.match(line) for line in fence.code.splitlines())
    ]
    for fence in fences:
        (tmp_path / f"line_{fence.start + 1}.py").write_text(fence.code, encoding="utf-8")
    if not fences:
        return
    ruff = [
        str(BIN / "ruff"),
        "format",
        "--check",
        "--diff",
        "--config",
        str(REPO / "pyproject.toml"),
    ]
    result = subprocess.run([*ruff, str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, f"{chapter.name} (file: line of the fence):\n{result.stdout}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.name)
def test_every_python_like_fence_is_collected_or_a_package_include(chapter):
    problems = []
    for fence in parse(chapter.read_text(encoding="utf-8")):
        where = f"{chapter.name}:{fence.start + 1}"
        name = language(fence.info)
        if name in SHELL:
            problems.append(f"{where}: ```{fence.info} would run as a shell command in the tests")
        if name not in PYTHON_LIKE:
            continue
        if fence.runnable:
            continue
        if fence.notebook_cell:  # run by tests/test_notebooks.py, in a reader's kernel
            if any(line.strip() and line[0] not in "%!" for line in fence.code.splitlines()):
                problems.append(
                    f"{where}: Python in an ```ipython notebook cell escapes the snippet tests: "
                    "keep the cell to IPython's own lines (%magics), the Python in ```python"
                )
            continue
        if fence.skipped:
            problems.append(f"{where}: a skipped python block is never tested")
        elif INCLUDE_TITLE.match(fence.info) and all(
            INCLUDE_LINE.match(line) for line in fence.code.splitlines()
        ):
            continue  # display-only: package source, tested by the package's tests
        else:
            problems.append(
                f"{where}: ```{fence.info} is not collected by pytest-codeblocks; write a "
                "plain ```python block, or include package code with --8<--"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.name)
def test_the_build_runs_exactly_the_blocks_pytest_runs(chapter):
    """The hook's sessions, joined, are pytest-codeblocks' python tests, in the same order."""
    by_session: dict[int, str] = {}
    for fence in parse(chapter.read_text(encoding="utf-8")):
        if fence.runnable:
            by_session[fence.session] = by_session.get(fence.session, "") + fence.code
    collected = [
        block.code
        for block in extract_from_file(chapter)
        if block.syntax == "python" and not any("skip" in mark for mark in block.marks)
    ]
    assert [code_lines(code) for code in collected] == [
        code_lines(code) for code in by_session.values()
    ]


def code_lines(code: str) -> list[str]:
    """pytest-codeblocks drops the blank lines of indented fences; nothing else differs."""
    return [line for line in code.splitlines() if line.strip()]


def test_a_continued_block_follows_a_python_block():
    """`cont` joins the previous fence of any kind: after a display fence it would vanish."""
    problems = [
        f"{chapter.name}:{fence.start + 1}"
        for chapter in CHAPTERS
        for fence in parse(chapter.read_text(encoding="utf-8"))
        if fence.info == "python" and not fence.runnable and not fence.skipped
    ]
    assert not problems, f"a ```python fence that would not run: {problems}"


def with_failing_block(text: str, in_tab: bool) -> str:
    if in_tab:
        block = '=== "Keras"\n\n    ```python\n    ' + FAILING + "    ```\n"
    else:
        block = "```python\n" + FAILING + "```\n"
    return text.rstrip("\n") + "\n\nA block added by the test:\n\n" + block


def test_a_failing_block_added_to_any_chapter_fails_the_snippet_tests(tmp_path):
    """Every chapter, with a failing block added at the top level and in a tab: one
    pytest-codeblocks run of only the added blocks (the chapters' own run elsewhere)."""
    node_ids = []
    for chapter in CHAPTERS:
        for in_tab in (False, True):
            page = tmp_path / f"{'in-a-tab' if in_tab else 'top-level'}-{chapter.name}"
            page.write_text(with_failing_block(chapter.read_text(encoding="utf-8"), in_tab))
            added = [block for block in extract_from_file(page) if block.syntax == "python"][-1]
            assert added.code == FAILING, page.name
            node_ids.append(f"{page.name}::line {added.lineno}")
    result = subprocess.run(
        [str(BIN / "pytest"), "--codeblocks", "-p", "no:cacheprovider", "-q", "-rf", *node_ids],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"{len(node_ids)} failed in" in result.stdout, output
    assert all(f"FAILED {node_id} - " in output for node_id in node_ids), output
    assert output.count("a deliberately failing snippet") >= len(node_ids)  # each one's error


@pytest.mark.slow
def test_a_failing_block_fails_the_strict_build(tmp_path):
    """The real configuration, on a one-page site whose page has a failing block."""
    docs = tmp_path / "docs"
    docs.mkdir()
    text = "# A page\n\n```python\nprint('fine')\n```\n"
    (docs / "index.md").write_text(with_failing_block(text, in_tab=True))
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text())
    config.update(
        docs_dir=str(docs),
        nav=[{"Home": "index.md"}],
        extra_css=[],
    )
    config["theme"]["custom_dir"] = str(REPO / config["theme"]["custom_dir"])
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [str(BIN / "mkdocs"), "build", "--strict", "-f", str(tmp_path / "mkdocs.yml")]
        + ["-d", str(tmp_path / "site")],
        cwd=REPO,  # snippets' base path
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    added = len(text.splitlines()) + 6  # the line of the added block's fence, in its tab
    assert f"docs/index.md, line {added}: the code block raised RuntimeError" in output
    assert "a deliberately failing snippet" in output


SOLUTION = re.compile(r'^(?P<indent>[ \t]*)\?\?\?\+? example "Solution"[ \t]*$')


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.name)
def test_every_exercise_solution_runs_as_a_snippet(chapter):
    """A solution is a collapsed admonition (`??? example "Solution"`) whose fence,
    indented inside it, pytest-codeblocks collects and the build runs like any other."""
    text = chapter.read_text(encoding="utf-8")
    lines = text.splitlines()
    fences = parse(text)
    collected = {block.lineno - 1 for block in extract_from_file(chapter)}
    for number, line in enumerate(lines):
        if not (match := SOLUTION.match(line)):
            continue
        inside = next(fence for fence in fences if fence.start > number)
        where = f"{chapter.name}:{number + 1}"
        assert len(inside.indent) > len(match["indent"]), f"{where}: no fence inside"
        assert inside.runnable and inside.info == "python", f"{where}: the solution never runs"
        assert inside.start in collected, f"{where}: pytest-codeblocks does not collect it"
