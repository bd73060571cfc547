"""The execution cache of `make serve` (alphabet_site/execution_cache.py) and the blocks' time limit
(alphabet_site/hooks/execute.py): what the key depends on, and what a block past its limit does.

Unit tests: each input of the key, changed alone, changes it (so the chapter's entry no
longer matches and the chapter runs again), and the prose does not. The builds that use
the cache, or must not, are tests/test_serve.py's.
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
import time
from pathlib import Path

import psutil
import pytest
from mkdocs.exceptions import PluginError

from alphabet_site import execution_cache
from alphabet_site.fences import parse
from alphabet_site.hooks import execute

REPO = Path(__file__).resolve().parent.parent

CHAPTER = """\
# A chapter

Some prose about the code below.

```python
x = 1 + 1
print(x)
```

More prose.

<!--pytest-codeblocks:cont-->
```python
print(x * 2)
```
"""


@pytest.fixture(scope="module")
def inputs() -> dict[str, str]:
    return execution_cache.environment()


def blocks(markdown: str) -> list[tuple[int, str]]:
    return [(fence.session, fence.code) for fence in parse(markdown) if fence.runnable]


def test_prose_edits_keep_the_key_and_code_edits_change_it(inputs):
    key = execution_cache.key(blocks(CHAPTER), inputs)
    prose = CHAPTER.replace("Some prose", "Some longer\nprose, on two lines,")
    assert execution_cache.key(blocks(prose), inputs) == key
    code = CHAPTER.replace("print(x * 2)", "print(x * 3)")
    assert execution_cache.key(blocks(code), inputs) != key
    unchained = CHAPTER.replace("<!--pytest-codeblocks:cont-->\n", "")  # its own globals now
    assert execution_cache.key(blocks(unchained), inputs) != key


@pytest.mark.parametrize("name", ["package", "tooling", "dependencies", "python", "platform"])
def test_every_input_of_the_environment_changes_the_key(inputs, name):
    changed = {**inputs, name: inputs[name] + " changed"}
    assert execution_cache.key(blocks(CHAPTER), changed) != execution_cache.key(
        blocks(CHAPTER), inputs
    )


def test_the_environment_reads_each_input_afresh(inputs, monkeypatch, tmp_path):
    """environment() follows a package edit, another version of a dependency, another Python
    and another platform (each faked here, one at a time)."""
    package = tmp_path / "alphabet_tutorial"
    package.mkdir()
    (package / "task.py").write_text("LETTERS = 26\n")
    monkeypatch.setattr(execution_cache, "REPO", tmp_path)
    monkeypatch.setattr(execution_cache, "PACKAGE", package)
    monkeypatch.setattr(execution_cache, "TOOLING", [])
    before = execution_cache.environment()
    (package / "task.py").write_text("LETTERS = 27\n")
    assert execution_cache.environment()["package"] != before["package"]
    (package / "task.py").write_text("LETTERS = 26\n")
    assert execution_cache.environment() == before

    real = list(importlib.metadata.distributions())
    keras = next(d for d in real if d.metadata["Name"].lower() == "keras")

    class Upgraded:  # the same distribution, another version
        metadata = keras.metadata
        version = keras.version + ".post1"

    swapped = [Upgraded() if d is keras else d for d in real]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: swapped)
    assert execution_cache.environment()["dependencies"] != before["dependencies"]
    monkeypatch.undo()

    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert execution_cache.environment()["python"] != inputs["python"]
    monkeypatch.undo()
    monkeypatch.setattr(platform, "platform", lambda: "Darwin-24.0-arm64")
    assert execution_cache.environment()["platform"] != inputs["platform"]


def test_an_entry_is_taken_only_under_its_own_key(monkeypatch, tmp_path):
    monkeypatch.setattr(execution_cache, "DIRECTORY", tmp_path)
    execution_cache.store("recap.md", {"key": "old", "outputs": []})
    assert execution_cache.load("recap.md", "old") == {"key": "old", "outputs": []}
    assert execution_cache.load("recap.md", "new") is None  # a changed input: run again
    execution_cache.entry_path("recap.md").write_text('{"key": "old", "outp')  # torn
    assert execution_cache.load("recap.md", "old") is None
    assert [p.name for p in tmp_path.iterdir()] == ["recap.json"]  # no partial files left


def test_a_block_past_its_limit_fails_naming_the_chapter_and_line_and_stops_its_processes():
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        "time.sleep(300)\n"
    )
    fence = next(f for f in parse(f"Prose.\n\n```python\n{code}```\n") if f.runnable)
    namespace: dict = {}
    started = time.monotonic()
    with pytest.raises(PluginError) as failure:
        execute.run(fence, namespace, "docs/hanging.md", "docs/hanging.md", seconds=1)
    assert time.monotonic() - started < 15
    assert "docs/hanging.md, line 3: the code block ran past its limit of 1 s" in str(failure.value)
    assert "the 1 process(es) it started were stopped" in str(failure.value)
    assert namespace["child"].poll() is not None  # stopped, and reaped
    assert not psutil.pid_exists(namespace["child"].pid)
    # the limit is gone with the block: the next one runs as long as it needs
    quick = next(f for f in parse("```python\nimport time\ntime.sleep(1.5)\n```\n"))
    assert execute.run(quick, {}, "docs/next.md", "docs/next.md", seconds=60).text == ""
