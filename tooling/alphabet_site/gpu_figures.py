"""The GPU figures the pages quote, read from the recorded benchmark run.

Unlike every other number on the site, these are not measured while the site is built
(the build machines have no GPU): `benchmarks/bench_gpu.py` recorded them once on a GPU
machine, in `benchmarks/gpu/h200.json`, with the machine, the versions and the date. This
module turns that file into the facts `hooks/facts.py` fills in (`{{ gpu_table }}`, ...),
so the pages say exactly what the file holds, and say when and where it was recorded.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

RECORD = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu" / "h200.json"
NAMES = {"jax": "JAX", "torch": "PyTorch"}
STEP_SPREAD = 1.25  # the most one backend's GPU time per step may vary across the sizes


def times(ratio: float) -> str:
    """A speed-up to two significant figures: 0.29×, 5.4×, 70×."""
    return f"{ratio:.2f}×" if ratio < 1 else f"{ratio:.1f}×" if ratio < 10 else f"{ratio:.0f}×"


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


@functools.cache
def gpu_facts(path: Path = RECORD) -> dict[str, str]:
    record = json.loads(path.read_text())
    rows = {(row["size"], row["backend"], row["device"]): row for row in record["rows"]}
    failed = [key for key, row in rows.items() if "error" in row]
    if failed:
        raise ValueError(f"{path}: the recorded run failed for {failed}: record it again")
    machine, versions = record["machine"], record["versions"]
    where = (
        f"on one {machine['gpu']['name']} and the same "
        f"machine's {machine['cpu_count']} CPU cores, on {record['recorded']}, with Keras "
        f"{versions['keras']}, JAX {versions['jax']} and PyTorch {versions['torch']}"
    )

    def steps(name: str) -> int:
        config = record["sizes"][name]
        return -(-config["train_size"] // config["batch_size"])

    def size_label(name: str) -> str:
        config = record["sizes"][name]
        return (
            f"{name}: {config['units']} units, batches of {config['batch_size']}, "
            f"{config['train_size']:,} windows ({steps(name)} steps an epoch, "
            f"{config['epochs']} epochs)"
        )

    table = [
        "| Size | Backend | GPU, warm epoch | CPU, warm epoch | GPU speed-up | GPU, first epoch |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    speedups = {}
    for name in record["sizes"]:
        for position, backend in enumerate(NAMES):
            gpu, cpu = rows[(name, backend, "gpu")], rows[(name, backend, "cpu")]
            speedup = cpu["warmed_epoch_seconds"] / gpu["warmed_epoch_seconds"]
            speedups[(name, backend)] = speedup
            table.append(
                f"| {size_label(name) if position == 0 else ''} | {NAMES[backend]} | "
                f"{milliseconds(gpu['warmed_epoch_seconds'])} | "
                f"{milliseconds(cpu['warmed_epoch_seconds'])} | {times(speedup)} | "
                f"{gpu['first_epoch_seconds']:.1f} s |"
            )
    sizes = list(record["sizes"])
    smallest, largest = sizes[0], sizes[-1]
    trips = ", ".join(
        f"{NAMES[trip['saved_on']]} → {NAMES[trip['loaded_on']]} {trip['largest_difference']:.0e}"
        for trip in record["round_trips"]
    )

    # The pages explain both ends: why the GPU loses at the tutorial's size, and that it
    # wins once the model and batches are large. A record that says otherwise needs new prose.
    if not all(
        speedups[(smallest, backend)] < 1 < speedups[(largest, backend)] for backend in NAMES
    ):
        raise ValueError(
            f"{path}: the pages say the GPU is slower than the CPU at the {smallest!r} size and "
            f"faster at the {largest!r} size, which this record does not show: revise them"
        )

    def span(name: str) -> str:
        low, high = (times(ratio) for ratio in sorted(speedups[(name, b)] for b in NAMES))
        return low if low == high else f"{low} to {high}"

    # The backends page says that a step takes the GPU about the same time at every size
    # (the work around the arithmetic sets it): each backend's per-step times, a warm epoch
    # over its steps, within STEP_SPREAD of each other.
    step_times = []
    for backend in NAMES:
        per_step = sorted(
            rows[(name, backend, "gpu")]["warmed_epoch_seconds"] / steps(name) for name in sizes
        )
        if per_step[-1] > STEP_SPREAD * per_step[0]:
            raise ValueError(
                f"{path}: the backends page says a step takes the GPU about the same time at "
                f"every size, which this record does not show on {backend}: revise it"
            )
        low, high = (
            milliseconds(seconds).removesuffix(" ms") for seconds in (per_step[0], per_step[-1])
        )
        step_times.append(f"{low} to {high} ms on {NAMES[backend]}")

    return {
        "gpu_recorded": where,
        "gpu_table": "\n".join(table),
        "gpu_smallest_speedup": span(smallest),
        "gpu_largest_speedup": span(largest),
        "gpu_smallest_units": str(record["sizes"][smallest]["units"]),
        "gpu_smallest_batch": str(record["sizes"][smallest]["batch_size"]),
        "gpu_largest_units": str(record["sizes"][largest]["units"]),
        "gpu_largest_batch": str(record["sizes"][largest]["batch_size"]),
        "gpu_round_trips": trips,
        "gpu_step_times": " and ".join(step_times),
    }
