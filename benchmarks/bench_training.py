"""Time both implementations on this machine and print the figures as JSON.

    python benchmarks/bench_training.py [--repeats 3]

Every repeat trains the low-level model and the Keras model from the same config, in
alternating order, in this one process; the ratio lowlevel/keras therefore compares
runs made under the same load. Import times are measured in fresh interpreters.
Nothing is asserted: the "goals" entry says whether each target was met.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

from alphabet_tutorial import env, impls

# Before anything imports Keras: keep ~/.keras/keras.json out of the home directory.
env.setup(private_keras_home=True)

IMPORTS = {
    "interpreter": "pass",
    "package": "import alphabet_tutorial",
    "both_models": "import " + ", ".join(impl.module for impl in impls.IMPLS.values()),
}
RATIO_GOAL = 1.0  # the low-level epoch should take no longer than the Keras epoch
TRAIN_WALL_GOAL = 10.0  # seconds for a full training run of either implementation


def import_seconds(statement: str, repeats: int) -> float:
    """Median wall time of a fresh interpreter running `statement`."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True, env=os.environ)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def one_run(impl: str, config) -> dict:
    """Train once; the figures of that run."""
    started = time.perf_counter()
    _, history = impls.get(impl).train(config)
    wall = time.perf_counter() - started
    reached = history.epochs_to_100
    return {
        "wall_seconds": wall,
        "first_epoch_seconds": history.epoch_seconds[0],  # includes tracing
        "epoch_seconds": history.epoch_seconds[1:],  # steady state
        "epochs_to_100": reached,
        "seconds_to_100": sum(history.epoch_seconds[:reached]) if reached else None,
        "final_eval_accuracy": history.eval_accuracy[-1],
    }


def summarise(runs: list[dict]) -> dict:
    """Medians over every run of one implementation (seconds rounded to 0.1 ms)."""
    reached = [run["seconds_to_100"] for run in runs if run["seconds_to_100"] is not None]
    steady = [seconds for run in runs for seconds in run["epoch_seconds"]]
    return {
        "epoch_seconds_median": round(statistics.median(steady), 4),
        "first_epoch_seconds_median": round(
            statistics.median(r["first_epoch_seconds"] for r in runs), 4
        ),
        "train_wall_seconds_median": round(statistics.median(r["wall_seconds"] for r in runs), 4),
        "train_wall_seconds_max": round(max(r["wall_seconds"] for r in runs), 4),
        "train_wall_seconds_runs": [round(r["wall_seconds"], 3) for r in runs],
        "epochs_to_100_runs": [r["epochs_to_100"] for r in runs],
        "seconds_to_100_median": round(statistics.median(reached), 4) if reached else None,
        "final_eval_accuracy_runs": [r["final_eval_accuracy"] for r in runs],
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="whole training runs per model")
    parser.add_argument("--import-repeats", type=int, default=3, help="fresh interpreters each")
    parser.add_argument("--epochs", type=int, default=None, help="override Config().epochs")
    args = parser.parse_args(argv)

    imports = {name: import_seconds(code, args.import_repeats) for name, code in IMPORTS.items()}

    import keras
    import tensorflow as tf

    from alphabet_tutorial import Config

    config = Config() if args.epochs is None else Config(epochs=args.epochs)
    # Warm-up: the first tf.function of a process pays one-off costs; charge them to
    # neither implementation.
    started = time.perf_counter()
    for impl in impls.NAMES:
        one_run(impl, Config(epochs=1, train_size=32))
    warm_up = time.perf_counter() - started

    runs: dict[str, list[dict]] = {impl: [] for impl in impls.NAMES}
    for repeat in range(args.repeats):  # alternate the order: neither always goes first
        order = impls.NAMES if repeat % 2 == 0 else impls.NAMES[::-1]
        for impl in order:
            runs[impl].append(one_run(impl, config))

    figures = {impl: summarise(impl_runs) for impl, impl_runs in runs.items()}
    ratio = figures["lowlevel"]["epoch_seconds_median"] / figures["keras"]["epoch_seconds_median"]
    slowest_train = max(figures[impl]["train_wall_seconds_max"] for impl in runs)
    report = {
        "config": config.as_dict(),
        "repeats": args.repeats,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
        "import_seconds": {
            **{name: round(seconds, 3) for name, seconds in imports.items()},
            "package_minus_interpreter": round(imports["package"] - imports["interpreter"], 3),
            "both_models_minus_interpreter": round(
                imports["both_models"] - imports["interpreter"], 3
            ),
        },
        "warm_up_seconds": round(warm_up, 3),
        **figures,
        "epoch_time_ratio_lowlevel_over_keras": round(ratio, 3),
        "goals": {
            f"epoch_time_ratio_at_most_{RATIO_GOAL}": ratio <= RATIO_GOAL,
            f"every_full_train_under_{TRAIN_WALL_GOAL:g}s_wall": slowest_train < TRAIN_WALL_GOAL,
            "both_reach_100_percent": all(
                accuracy == 1.0
                for impl in runs
                for accuracy in figures[impl]["final_eval_accuracy_runs"]
            ),
        },
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
