"""Per-epoch training time of the Keras model on each Keras backend, as ratios to the
TensorFlow backend, with the low-level TensorFlow model as a last row.

    python benchmarks/bench_backends.py [--repeats 5] [--json]

Every row trains in its own process (alphabet_tutorial/backends.py); the processes
import together and then train one at a time, so no row competes with another. A row's
figure is the median, over `repeats` whole training runs from the same config, of each
run's median warmed epoch (every epoch after the first, which traces or compiles the
training step). Nothing is asserted: these are figures to read, on a quiet machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from typing import Any

from alphabet_tutorial import Config, env, impls
from alphabet_tutorial.backends import BACKENDS, compare_backends, is_installed


def main(argv=None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="whole training runs per row")
    parser.add_argument("--epochs", type=int, default=None, help="override Config().epochs")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    env.setup(private_keras_home=True)

    config = Config() if args.epochs is None else Config(epochs=args.epochs)
    backends = [backend for backend in BACKENDS if is_installed(backend)]
    # Keras on every backend first, then the implementations that run on fewer.
    names = sorted(impls.NAMES, key=lambda name: -len(impls.get(name).backends))
    runs = compare_backends(backends, config, repeats=args.repeats, names=names)
    reference = next(run for run in runs if run.backend == "tensorflow" and run.impl == "keras")
    rows: list[dict[str, Any]] = [
        {
            "row": f"{run.backend} ({impls.get(run.impl).title})",
            "epoch_seconds": round(run.epoch_seconds, 5),
            "ratio_to_tensorflow": round(run.epoch_seconds / reference.epoch_seconds, 3),
            "first_epoch_seconds": round(run.first_epoch_seconds, 4),
            "final_accuracy": run.final_accuracy,
            "version": run.version,
        }
        for run in runs
    ]
    if args.json:
        print(json.dumps({"config": dataclasses.asdict(config), "rows": rows}, indent=2))
        return rows
    print(
        f"Warmed epoch, median of {args.repeats} runs of {config.epochs} epochs each "
        f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}):"
    )
    width = max(len(row["row"]) for row in rows)
    print(f"{'':{width}}  {'epoch (ms)':>10}  {'× TensorFlow':>12}  {'first epoch (s)':>15}")
    for row in rows:
        print(
            f"{row['row']:{width}}  {row['epoch_seconds'] * 1000:10.1f}  "
            f"{row['ratio_to_tensorflow']:12.2f}  {row['first_epoch_seconds']:15.2f}"
        )
    missing = sorted(set(BACKENDS) - set(backends))
    if missing:
        print(f"not installed: {', '.join(missing)} (pip install 'alphabet-tutorial[backends]')")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
