"""What this machine can hold: a config that cannot fit in memory, and more devices than
the machine has, are refused naming the field before any work."""

import pytest

from alphabet_tutorial import Config
from alphabet_tutorial.machine import (
    available_memory,
    check_device_count,
    check_fits_memory,
    cpu_count,
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


def test_devices_are_bounded_by_gpus_or_else_cpu_cores():
    check_device_count(cpu_count(), gpus=0)
    check_device_count(8, gpus=8)
    with pytest.raises(ValueError, match=f"no GPU and {cpu_count()} CPU cores: at most one CPU"):
        check_device_count(cpu_count() + 1, gpus=0)
    with pytest.raises(ValueError, match="asked for 9 devices, this machine has 8 GPUs"):
        check_device_count(9, gpus=8)
