"""Time data-parallel training against one device and print the figures as JSON.

    python benchmarks/bench_distribute.py [--repeats 5] [--epochs 5]

Each repeat runs every setup of the "Beyond one machine" chapter (both implementations on
one device and on 2 logical CPU devices, the low-level model on 2 workers, Keras on JAX on
1 and 2 devices) and a 1-worker cluster of the low-level model,
the baseline of the 2 workers. The per-epoch time of a run is the median of its epochs
after the first; a figure is the median of those over the repeats, and every ratio
compares figures of the same repeats. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

from alphabet_tutorial import Config, env
from alphabet_tutorial.history import warmed_epoch_seconds
from alphabet_tutorial.machine import processor
from alphabet_tutorial.scaleout import Setup, label, train_on_one_device

env.setup(private_keras_home=True)
SETUPS = [("devices", 2), ("workers", 2), ("jax", 2), ("workers", 1)]  # the last: 1 worker


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of every setup")
    parser.add_argument("--epochs", type=int, default=5, help="epochs of every run")
    args = parser.parse_args(argv)
    config = Config(epochs=args.epochs)

    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        setups = [Setup(kind, count, config) for kind, count in SETUPS]
        runs = train_on_one_device(config, ("lowlevel", "keras"))
        runs += [run for setup in setups for run in setup.train()]
        runs[-1]["setup"] = "1 worker"
        for run in runs:
            if run.get("worker", 0) == 0:  # one figure per setup: worker 0's
                setup = run["setup"].split(" (")[0]
                seconds = warmed_epoch_seconds(run["epoch_seconds"])
                times.setdefault(f"{label(run)}, {setup}", []).append(seconds)
    medians = {key: statistics.median(values) for key, values in times.items()}

    def ratio(slow: str, base: str) -> float:
        return round(medians[slow] / medians[base], 3)

    report = {
        "config": config.as_dict(),
        "repeats": args.repeats,
        "machine": {"processor": processor(), "load_average": os.getloadavg()},
        "epoch_seconds_median": {key: round(value, 4) for key, value in medians.items()},
        "ratios": {
            "low-level TF: 2 devices / 1 device": ratio(
                "low-level TF, 2 devices", "low-level TF, one device"
            ),
            "low-level TF: 2 workers / 1 worker": ratio(
                "low-level TF, 2 workers", "low-level TF, 1 worker"
            ),
            "keras on tensorflow: 2 devices / 1 device": ratio(
                "keras on tensorflow, 2 devices", "keras on tensorflow, one device"
            ),
            "keras on tensorflow: workers": "not measured: fit fails under "
            "MultiWorkerMirroredStrategy (keras-team/keras#20585)",
            "keras on jax: 2 devices / 1 device (DataParallel)": ratio(
                "keras on jax, 2 devices", "keras on jax, one device"
            ),
        },
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
