"""The Keras model on a GPU and on the same machine's CPU, on JAX and on PyTorch.

    python benchmarks/bench_gpu.py [--out FILE] [--devices gpu,cpu] [--backends jax,torch]

For every backend, device and size (the tutorial's `Config()` and larger ones), one fresh
process trains the package's Keras model (`impls.get("keras").train`, the same code as
the chapters) and reports its first epoch, the median of its later (warmed) epochs, the
epochs it took to predict every window right and its final accuracy. An epoch's time
ends when `fit` hands its logs, as Python numbers, to the callbacks, so it includes
waiting for the device. Then each backend loads, on the GPU, the `.keras` file the other
saved there, and the largest difference of the probabilities on every window is
reported (the round trip). Processes run one at a time, so no figure competes with
another. TensorFlow is not needed: the GPU machines it was written for have none.

The figures are printed as a table and, with `--out`, written as JSON together with the
machine, driver, versions, date and command. `benchmarks/gpu/` holds the recorded runs;
the pages quote `benchmarks/gpu/h200.json`. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from alphabet_tutorial import Config  # no backend imported
from alphabet_tutorial.backends import largest_difference

# The sizes: the tutorial's, then larger models on more data with larger batches, up to
# one where the GPU is far ahead. Epochs are fewer where an epoch holds more steps.
SIZES = {
    "tutorial": Config(),
    "medium": Config(units=256, batch_size=256, train_size=16_384, epochs=4),
    "large": Config(units=1024, batch_size=1024, train_size=16_384, epochs=3),
}
BACKENDS = ("jax", "torch")
DEVICES = ("gpu", "cpu")
ROUND_TRIP_SIZE = "tutorial"
CHILD_SECONDS = 600  # one training process at most


def device_env(backend: str, device: str) -> dict[str, str]:
    """A child's environment: Keras on `backend`, which may use the GPU or must not."""
    child = {**os.environ, "KERAS_BACKEND": backend, "OMP_WAIT_POLICY": "PASSIVE"}
    if device == "cpu":
        child["CUDA_VISIBLE_DEVICES"] = ""  # PyTorch sees no GPU
        child["JAX_PLATFORMS"] = "cpu"
    elif backend == "jax":
        child["JAX_PLATFORMS"] = "cuda"  # fail rather than fall back to the CPU
    child["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"  # JAX takes what it needs, no more
    return child


def where_it_runs(model) -> str:
    """The device holding the model's first weight, as the backend names it."""
    value = model.weights[0].value
    if hasattr(value, "devices"):  # a JAX array
        return ", ".join(sorted(str(device) for device in value.devices()))
    return str(value.device)  # a torch tensor


def child(request: dict) -> dict:
    """In a fresh process: train (and save), or load the other backend's file."""
    import keras

    from alphabet_tutorial import impls
    from alphabet_tutorial.evaluation import as_array
    from alphabet_tutorial.task import evaluation_set

    config = Config(**request["config"])
    inputs, _ = evaluation_set(config)
    if request["do"] == "load":
        model = keras.saving.load_model(request["path"], compile=False)
        return {
            "probabilities": as_array(model(inputs)).tolist(),
            "placed_on": where_it_runs(model),
        }
    model, history = impls.get("keras").train(config)
    if request.get("save"):
        model.save(request["save"])
    return {
        "placed_on": where_it_runs(model),
        "epoch_seconds": history.epoch_seconds,
        "first_epoch_seconds": history.epoch_seconds[0],
        "warmed_epoch_seconds": statistics.median(history.epoch_seconds[1:]),
        "steps_per_epoch": -(-config.train_size // config.batch_size),
        "epochs_to_100": history.epochs_to_100,
        "final_accuracy": history.eval_accuracy[-1],
        "probabilities": as_array(model(inputs)).tolist(),
    }


def run_child(backend: str, device: str, request: dict) -> dict:
    """`child(request)` in a process of its own; {"error": ...} when it fails."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(request)]
    try:
        done = subprocess.run(
            command,
            env=device_env(backend, device),
            capture_output=True,
            text=True,
            timeout=CHILD_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {CHILD_SECONDS} s"}
    if done.returncode != 0:
        last = [line for line in done.stderr.splitlines() if line.strip()][-3:]
        return {"error": f"exit {done.returncode}: " + " | ".join(last)}
    return json.loads(done.stdout.splitlines()[-1])


def versions() -> dict[str, str]:
    """The versions of Python, Keras and each backend's library, read in a child."""
    code = "import importlib.metadata as m, json; print(json.dumps({n: m.version(n) for n in %r}))"
    names = ["keras", "jax", "jaxlib", "torch", "numpy"]
    found = {"python": platform.python_version()}
    try:
        out = subprocess.run([sys.executable, "-c", code % names], capture_output=True, text=True)
        found.update(json.loads(out.stdout))
    except (json.JSONDecodeError, OSError) as error:
        found["error"] = str(error)
    return found


def gpu_description() -> dict[str, str]:
    """The GPU's name, memory and driver, from nvidia-smi; {} without one."""
    if not shutil.which("nvidia-smi"):
        return {}
    query = "name,memory.total,driver_version"
    out = subprocess.run(
        ["nvidia-smi", f"--query-gpu={query}", "--format=csv,noheader"],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0 or not out.stdout.strip():
        return {}
    name, memory, driver = (part.strip() for part in out.stdout.splitlines()[0].split(","))
    return {"name": name, "memory": memory, "driver": driver}


def measure(backends, devices, sizes) -> dict:
    rows = []
    saved: dict[str, tuple[str, list]] = {}  # backend -> (.keras path, its probabilities)
    scratch = tempfile.mkdtemp(prefix="bench-gpu-")
    try:
        for size in sizes:
            for backend in backends:
                for device in devices:
                    round_trip = size == ROUND_TRIP_SIZE and device == "gpu"
                    path = os.path.join(scratch, f"{backend}.keras") if round_trip else None
                    request = {"do": "train", "config": SIZES[size].as_dict(), "save": path}
                    result = run_child(backend, device, request)
                    probabilities = result.pop("probabilities", None)
                    if path and "error" not in result:
                        saved[backend] = (path, probabilities)
                    rows.append({"size": size, "backend": backend, "device": device, **result})
                    print(format_row(rows[-1]), flush=True)
        trips = []
        for saver, (path, probabilities) in saved.items():
            for loader in saved:
                if loader == saver:
                    continue
                request = {"do": "load", "config": SIZES[ROUND_TRIP_SIZE].as_dict(), "path": path}
                loaded = run_child(loader, "gpu", request)
                trip: dict[str, object] = {"saved_on": saver, "loaded_on": loader}
                if "error" in loaded:
                    trip["error"] = loaded["error"]
                else:
                    trip["placed_on"] = loaded["placed_on"]
                    trip["largest_difference"] = largest_difference(
                        probabilities, loaded["probabilities"]
                    )
                trips.append(trip)
                print(f"round trip {saver} -> {loader}: {trip}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"rows": rows, "round_trips": trips}


def format_row(row: dict) -> str:
    head = f"{row['size']:8} {row['backend']:5} {row['device']:3}"
    if "error" in row:
        return f"{head}  failed: {row['error']}"
    return (
        f"{head}  warmed epoch {row['warmed_epoch_seconds'] * 1000:9.1f} ms  "
        f"first {row['first_epoch_seconds']:6.2f} s  "
        f"to 100%: {row['epochs_to_100']}  final {row['final_accuracy']:.0%}  "
        f"on {row['placed_on']}"
    )


def without_out(argv: list[str]) -> list[str]:
    """The arguments that decide the figures: all but where they are written."""
    kept, skip = [], False
    for arg in argv:
        if skip or arg.startswith("--out="):
            skip = False
        elif arg == "--out":
            skip = True
        else:
            kept.append(arg)
    return kept


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    parser.add_argument("--devices", default=",".join(DEVICES), help="gpu,cpu or one of them")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="jax,torch or one")
    parser.add_argument("--sizes", default=",".join(SIZES), help=",".join(SIZES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return {}
    picked = {}
    for name, allowed in (("devices", DEVICES), ("backends", BACKENDS), ("sizes", tuple(SIZES))):
        picked[name] = getattr(args, name).split(",")
        unknown = sorted(set(picked[name]) - set(allowed))
        if unknown:
            parser.error(f"--{name}: unknown {unknown[0]!r}: choose from {','.join(allowed)}")
    gpu = gpu_description()
    if "gpu" in picked["devices"] and not gpu:
        print("bench_gpu: no NVIDIA GPU here (nvidia-smi found none): CPU rows only")
        picked["devices"] = [device for device in picked["devices"] if device != "gpu"]
    started = datetime.datetime.now(datetime.timezone.utc)
    figures = measure(picked["backends"], picked["devices"], picked["sizes"])
    record = {
        "recorded": started.strftime("%Y-%m-%d"),
        "command": shlex.join(["python", "benchmarks/bench_gpu.py", *without_out(argv or [])]),
        "machine": {
            "gpu": gpu,
            "cpu_count": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "system": platform.platform(),
        },
        "versions": versions(),
        "sizes": {name: SIZES[name].as_dict() for name in picked["sizes"]},
        "seconds": round((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()),
        **figures,
    }
    if args.out:
        args.out.write_text(json.dumps(record, indent=1) + "\n")
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
