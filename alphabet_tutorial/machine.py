"""What this machine can hold, checked before any work: the memory a config's training
needs, and how many devices a run can be replicated over; and how to name its processor.

The memory figures are estimates, generous on purpose: they exist to refuse a config that
cannot fit (a billion training windows, a hundred thousand units) in one line, instead of
letting it grow for minutes and fail with a traceback.
"""

from __future__ import annotations

import glob
import os
import platform
from pathlib import Path

from alphabet_tutorial.config import Config
from alphabet_tutorial.task import NUM_LETTERS

FLOAT = 4  # bytes of a float32, the type both models compute in
# Bytes per training window beyond its one-hot arrays: the Python lists it is built from.
PYTHON_WINDOW = 200


def available_memory() -> int:
    """Bytes of memory this process can still take: Linux's MemAvailable, else (macOS)
    the machine's physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def memory_needed(config: Config) -> dict[str, tuple[int, str]]:
    """Estimated bytes training with `config` needs, by the field that drives each part:
    field -> (bytes, what they hold)."""
    units, window = config.units, config.window
    one_hot = (window + 1) * NUM_LETTERS * FLOAT  # a window and its target, one-hot
    parameters = 4 * units * (NUM_LETTERS + units + 1) + (units + 1) * NUM_LETTERS
    batch = min(config.batch_size, config.train_size)
    return {
        # the one-hot arrays twice (NumPy's and TensorFlow's copy), the lists behind them
        "train_size": (config.train_size * (2 * one_hot + PYTHON_WINDOW), "training windows"),
        # the weights, their gradients and Adam's two moments
        "units": (4 * parameters * FLOAT, "weights, gradients and optimizer state"),
        # each step keeps, per window and letter, four gates and two states for the gradient
        "batch_size": (batch * window * 6 * units * FLOAT, "one step's activations"),
    }


def check_fits_memory(config: Config, available: int | None = None) -> None:
    """ValueError naming the field that drives the estimate, if training with `config`
    needs more memory than this machine has available."""
    needs = memory_needed(config)
    total = sum(size for size, _ in needs.values())
    available = available_memory() if available is None else available
    if total <= available:
        return
    field, (_, what) = max(needs.items(), key=lambda item: item[1][0])
    raise ValueError(
        f"{field}={getattr(config, field)} does not fit in memory: training needs about "
        f"{gigabytes(total)} (mostly {what}), and this machine has {gigabytes(available)} available"
    )


def gigabytes(size: int) -> str:
    return f"{size / 1e9:,.1f} GB" if size >= 1e8 else f"{size / 1e6:,.1f} MB"


def cpu_count() -> int:
    """The CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def processor() -> str:
    """This machine's processor as a reader would name it, with its logical cores."""
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} logical cores"


def device_type(count: int, gpus: int) -> str:
    """The devices a run replicated over `count` of them uses on a machine with `gpus` GPUs:
    "GPU" when there are enough, else "CPU" (logical devices, at most one per core, so that
    the replicas' steps can run at the same time). ValueError when neither fits."""
    if count <= gpus:
        return "GPU"
    if count > cpu_count():
        raise ValueError(
            f"asked for {count} devices, this machine has {gpus} GPU(s) and {cpu_count()} "
            "CPU cores: at most one device per GPU, or per CPU core"
        )
    return "CPU"


def nvidia_gpus() -> int:
    """NVIDIA GPUs as their device files count them (/dev/nvidia0, ...), without TensorFlow."""
    return len(glob.glob("/dev/nvidia[0-9]*"))
