"""What this machine can hold: a config that cannot fit in memory, and more devices than
the machine has, are refused naming the field before any work."""

import pytest

from alphabet_tutorial import Config, machine
from alphabet_tutorial.machine import (
    available_memory,
    check_fits_memory,
    device_type,
    memory_needed,
)

GB = 10**9


def test_the_tutorials_config_needs_about_a_megabyte():
    assert sum(size for size, _ in memory_needed(Config()).values()) < 2 * 10**6
    check_fits_memory(Config(), available=2 * 10**6)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"train_size": 10**9}, "train_size"),
        ({"units": 10**5}, "units"),
        ({"train_size": 10**6, "batch_size": 10**6, "units": 4000}, "batch_size"),
    ],
)
def test_a_config_beyond_the_memory_available_names_the_field_that_drives_it(changes, field):
    config = Config(**changes)
    message = rf"{field}={changes[field]} does not fit in memory: training needs about [\d,.]+ GB"
    with pytest.raises(ValueError, match=message + r" \(mostly .*\), and this machine has 16.0 GB"):
        check_fits_memory(config, available=16 * GB)
    check_fits_memory(config, available=10**6 * GB)  # an estimate, not a ban


def test_available_memory_is_what_the_machine_reports():
    assert 10**7 < available_memory() < 2**50


def test_devices_are_gpus_when_there_are_enough_else_cpu_cores(monkeypatch):
    monkeypatch.setattr(machine, "cpu_count", lambda: 4)
    assert device_type(8, gpus=8) == "GPU"
    assert device_type(2, gpus=1) == "CPU"  # one GPU (a notebook's GPU runtime): the CPU
    assert device_type(4, gpus=0) == "CPU"
    with pytest.raises(ValueError, match=r"has 0 GPU\(s\) and 4 CPU cores: at most one device"):
        device_type(5, gpus=0)
    with pytest.raises(ValueError, match=r"asked for 9 devices, this machine has 8 GPU\(s\)"):
        device_type(9, gpus=8)
