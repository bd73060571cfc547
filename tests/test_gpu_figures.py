"""The GPU figures: recorded once on a GPU machine (benchmarks/bench_gpu.py), quoted by the
backends chapter (the conclusions and "Beyond one machine" point to them) through
alphabet_site/gpu_figures.py, never measured at build time. The record must be whole, and
the pages must say what it holds."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from helpers import text

from alphabet_site import gpu_figures
from alphabet_tutorial import Config

REPO = Path(__file__).resolve().parent.parent


RECORD = json.loads(gpu_figures.RECORD.read_text())


def test_the_record_says_where_when_and_how_it_was_measured():
    assert RECORD["machine"]["gpu"]["name"] and RECORD["machine"]["gpu"]["driver"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", RECORD["recorded"])
    assert RECORD["command"].startswith("python benchmarks/bench_gpu.py")
    assert {"keras", "jax", "torch"} <= set(RECORD["versions"])
    assert "tensorflow" not in RECORD["versions"]  # no TensorFlow figure is claimed


def test_every_size_trained_on_both_backends_on_the_gpu_and_on_the_cpu_to_100_percent():
    rows = {(row["size"], row["backend"], row["device"]): row for row in RECORD["rows"]}
    assert set(rows) == {
        (size, backend, device)
        for size in RECORD["sizes"]
        for backend in ("jax", "torch")
        for device in ("gpu", "cpu")
    }
    for (_, _, device), row in rows.items():
        assert "error" not in row
        assert row["placed_on"].startswith("cuda" if device == "gpu" else "cpu"), row
        assert row["final_accuracy"] == 1.0
    assert {(t["saved_on"], t["loaded_on"]) for t in RECORD["round_trips"]} == {
        ("jax", "torch"),
        ("torch", "jax"),
    }
    assert all(t["largest_difference"] < 1e-4 for t in RECORD["round_trips"])


def test_the_recorded_tutorial_size_is_the_tutorials_config():
    """Change a default in Config and the GPU record's "tutorial" row no longer is the
    tutorial: record it again (benchmarks/README.md says how)."""
    assert RECORD["sizes"]["tutorial"] == Config().as_dict(), "stale GPU record"


def test_a_record_the_prose_does_not_fit_is_refused(tmp_path):
    record = json.loads(json.dumps(RECORD))
    for row in record["rows"]:  # the GPU now wins at every size: the pages would be wrong
        if row["device"] == "gpu":
            row["warmed_epoch_seconds"] = 1e-6
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="revise them"):
        gpu_figures.gpu_facts(path)
    record["rows"][0]["error"] = "exit 1: out of memory"
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="record it again"):
        gpu_figures.gpu_facts(path)


def test_a_record_whose_gpu_step_cost_grows_with_the_size_is_refused(tmp_path):
    """The backends page says a step takes the GPU about the same time at every size."""
    step = r"[\d.]+ to [\d.]+ ms on"  # a warm epoch over its steps, at the sizes' extremes
    said = gpu_figures.gpu_facts()["gpu_step_times"]
    assert re.fullmatch(f"{step} JAX and {step} PyTorch", said), said
    record = json.loads(json.dumps(RECORD))
    for row in record["rows"]:  # the largest size's steps now cost the GPU twice as much
        if row["device"] == "gpu" and row["size"] == "large":
            row["warmed_epoch_seconds"] *= 2
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="a step takes the GPU about the same time"):
        gpu_figures.gpu_facts(path)


@pytest.mark.site
def test_the_pages_quote_the_record_and_say_it_was_not_measured_at_build_time(built_site):
    facts = gpu_figures.gpu_facts()
    backends = text(built_site, "backends/")
    flat = " ".join(backends.split())
    assert "The GPU figures come from another machine than the rest of this page" in flat
    assert facts["gpu_recorded"] in flat
    assert facts["gpu_step_times"] in flat
    for row in RECORD["rows"]:
        assert gpu_figures.milliseconds(row["warmed_epoch_seconds"]) in backends
    # The conclusions point there, and no longer hold the table.
    conclusions = " ".join(text(built_site, "conclusions/").split())
    assert "on a GPU: at this size the GPU is slower on both" in conclusions
    assert facts["gpu_recorded"] not in conclusions
    beyond = " ".join(text(built_site, "beyond-one-machine/").split())
    # gpu_facts refuses a record in which the GPU is not slower at the tutorial's size
    assert "one GPU slower than its machine's CPU on this model" in beyond
    for page in (conclusions, backends, beyond):
        assert "switches to NVIDIA's fused cuDNN kernel" not in page  # the old guess
        assert "nearly in proportion" not in page


def test_the_backends_page_links_the_script_at_the_commit_that_recorded_the_figures():
    """The link cannot rot: it names a commit, and that commit holds this very record."""
    page = (REPO / "docs" / "backends.md").read_text()
    (commit,) = re.findall(r"/blob/([0-9a-f]{40})/benchmarks/bench_gpu\.py", page)
    recorded = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{commit}:benchmarks/gpu/h200.json"],
        capture_output=True,
        text=True,
    )
    assert recorded.returncode == 0, recorded.stderr
    assert json.loads(recorded.stdout) == RECORD
