"""The `alphabet-tutorial` command: each subcommand, and one-line errors with status 2."""

import dataclasses
import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from commands import alphabet_tutorial
from helpers import running_in_group

from alphabet_tutorial import Config
from alphabet_tutorial.cli import build_parser, config_from, main
from alphabet_tutorial.weights import save_weights


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["predict", "ab3"], "'3'"),
        (["predict", "aBc"], "'aBc'"),
        (["predict", ""], "''"),
        (["predict", "abc", "--top", "0"], "got 0"),
        (["predict", "ab", "--window", "3"], "'ab'"),
        (["train", "--window", "26"], "got 26"),
        (["train", "--window", "0"], "window"),
        (["train", "--units", "-4"], "units"),
        (["train", "--epochs", "0"], "epochs"),
        (["train", "--batch-size", "0"], "batch_size"),
        (["train", "--learning-rate", "-1"], "learning_rate"),
        (["train", "--window", "three"], "'three'"),
        (["train", "--impl", "pytorch"], "'pytorch'"),
        (["evaluate", "--load", "missing.npz"], "missing.npz"),
        (["tensorboard", "--logdir", "no/such/dir"], "no/such/dir"),
        (["frobnicate"], "'frobnicate'"),
        ([], "command"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_it(capsys, argv, named):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("alphabet-tutorial: error: ")
    assert named in err


def test_load_refuses_config_options(capsys, tmp_path):
    status, _, err = run(
        capsys, "predict", "abc", "--load", str(tmp_path / "w.npz"), "--window", "4"
    )
    assert status == 2 and "--window cannot be combined with --load" in err


def test_garbage_weights_file_is_a_one_line_error(capsys, tmp_path):
    garbage = tmp_path / "w.npz"
    garbage.write_bytes(b"not a weights file")
    status, _, err = run(capsys, "evaluate", "--load", str(garbage))
    assert status == 2 and str(garbage) in err and err.count("\n") == 1


def test_console_script_errors_without_traceback():
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    result = alphabet_tutorial("predict", "a1c", env=env)
    assert result.returncode == 2
    assert result.stderr == "alphabet-tutorial: error: '1' in 'a1c' is not a letter from a to z\n"
    assert "Traceback" not in result.stderr


@pytest.fixture
def lowlevel_weights(tmp_path, trained_lowlevel, config):
    """The session's trained low-level model in a weights file, as `train --save` writes it."""
    model, _ = trained_lowlevel
    return save_weights(tmp_path / "lowlevel.npz", model.get_weights(), config, "lowlevel")


@pytest.mark.slow
def test_train_prints_its_accuracy_saves_the_weights_and_writes_logs(capsys, tmp_path):
    weights, logs = tmp_path / "w.npz", tmp_path / "logs"
    status, out, err = run(
        capsys,
        *("train", "--impl", "lowlevel", "--epochs", "2"),
        *("--save", str(weights), "--logdir", str(logs)),
    )
    assert status == 0
    lines = out.splitlines()
    match = re.fullmatch(
        r"lowlevel: (\d+\.\d)% of every window right after 2 epochs "
        r"\(first 100% at epoch (1|2|never)\), \d+\.\d s of training",
        lines[0],
    )
    assert match, lines[0]
    assert lines[1:] == [f"TensorBoard logs: {logs / 'lowlevel'}", f"weights saved to {weights}"]
    assert "2/2" in err  # the progress bar reached the last epoch
    assert any((logs / "lowlevel" / "train").glob("events.out.tfevents.*"))

    status, out, _ = run(capsys, "evaluate", "--load", str(weights))  # the model it trained
    assert status == 0 and out.startswith(f"accuracy on all 23 windows: {match[1]}%")


def test_predict_and_evaluate_read_a_weights_file(capsys, lowlevel_weights):
    status, out, _ = run(capsys, "predict", "abc", "--load", str(lowlevel_weights), "--top", "4")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "abc -> d" and len(lines) == 5
    probabilities = [float(line.split()[1].rstrip("%")) for line in lines[1:]]
    assert probabilities == sorted(probabilities, reverse=True) and probabilities[0] > 90

    status, out, _ = run(capsys, "predict", "ABC", "--load", str(lowlevel_weights))
    assert status == 0 and out.splitlines()[0] == "ABC -> d"

    status, out, _ = run(capsys, "evaluate", "--load", str(lowlevel_weights))
    assert status == 0 and out.startswith("accuracy on all 23 windows: 100.0%")

    status, out, _ = run(capsys, "evaluate", "--impl", "lowlevel", "--load", str(lowlevel_weights))
    assert status == 0 and out.startswith("accuracy on all 23 windows: 100.0%")  # no contradiction


@pytest.mark.slow
def test_predict_trains_keras_when_no_weights_are_given(capsys):
    status, out, err = run(
        capsys, "predict", "ABC", "--impl", "keras", "--epochs", "1", "--train-size", "64"
    )
    assert status == 0
    lines = out.splitlines()
    assert re.fullmatch(r"ABC -> [a-z]", lines[0]) and len(lines) == 4
    assert lines[0][-1] == lines[1].split()[0]  # the most likely candidate
    assert err.startswith("keras ") and "1/1" in err  # the progress bar of its training

    status, _, err = run(capsys, "predict", "ABC", "--epochs", "1", "--train-size", "64")
    assert status == 0 and err.startswith("keras ")  # Keras, when no --impl is given


def test_predict_warns_about_a_window_the_task_never_has(capsys, lowlevel_weights):
    status, _, err = run(capsys, "predict", "xyz", "--load", str(lowlevel_weights))
    assert status == 0 and "'xyz' is not a window of the task" in err


@pytest.mark.slow
def test_compare_json_has_both_implementations(capsys):
    status, out, _ = run(
        capsys, "compare", "--json", "--epochs", "2", "--train-size", "32", "--repeats", "1"
    )
    assert status == 0
    figures = json.loads(out)
    rows = figures["impls"]
    assert set(rows) == {"lowlevel", "keras"}
    assert rows["lowlevel"]["parameters"] == rows["keras"]["parameters"] == 8410
    assert rows["lowlevel"]["lines_of_code"] > rows["keras"]["lines_of_code"] > 0
    assert all(len(row["epochs_to_100_per_seed"]) == 1 for row in rows.values())
    assert np.isfinite(figures["epoch_time_ratio_keras_over_lowlevel"])


@pytest.mark.slow
@pytest.mark.parametrize(
    "stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_tensorboard_serves_on_loopback_and_a_signal_stops_it_leaving_nothing(tmp_path, stop):
    (tmp_path / "logs" / "run").mkdir(parents=True)
    temporary = tmp_path / "tmp"  # TensorBoard's log and its data server's files go here
    temporary.mkdir()
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    env = {**os.environ, "TMPDIR": str(temporary)}
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        taken = squatter.getsockname()[1]
        command = [sys.executable, "-m", "alphabet_tutorial", "tensorboard", "--port", str(taken)]
        with subprocess.Popen(
            [*command, "--logdir", str(tmp_path / "logs")], env=env, **pipes
        ) as cli:
            try:
                line = cli.stdout.readline()  # printed once TensorBoard answers
                match = re.match(
                    r"TensorBoard at (http://127\.0\.0\.1:(\d+)/) \(process (\d+)\)", line
                )
                assert match, f"unexpected first line {line!r}; stderr: {cli.stderr.read()}"
                url, port, board_pid = match.group(1), int(match.group(2)), int(match.group(3))
                assert port != taken
                with urllib.request.urlopen(url, timeout=30) as response:
                    assert response.status == 200 and b"TensorBoard" in response.read()
                assert any(temporary.iterdir())  # its log file at least
            finally:
                cli.send_signal(stop)
                status = cli.wait(timeout=60)
            assert cli.stderr.read().splitlines() == [
                f"note: port {taken} is taken, so TensorBoard uses {port}",
                f"alphabet-tutorial: stopped by {stop.name}",
            ]
    assert status == 128 + stop
    assert running_in_group(board_pid) == []  # TensorBoard and its data server went too
    assert list(temporary.iterdir()) == []


@pytest.mark.slow
def test_predict_from_a_file_writes_nothing_into_the_home_directory(tmp_path):
    from alphabet_tutorial.lowlevel import LowLevelLSTM
    from alphabet_tutorial.weights import save_weights

    config = Config(units=4)
    weights = save_weights(tmp_path / "w.npz", LowLevelLSTM(config).get_weights(), config, "keras")
    home = tmp_path / "home"
    home.mkdir()
    env = {name: value for name, value in os.environ.items() if name != "KERAS_HOME"}
    env["HOME"] = str(home)
    result = alphabet_tutorial("predict", "abc", "--load", str(weights), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("abc -> ")
    assert list(home.rglob("*")) == []  # no ~/.keras/keras.json


def test_every_config_field_is_an_option_with_its_comment_as_help(capsys):
    changed = Config(
        window=4, units=8, epochs=2, batch_size=16, learning_rate=0.02, train_size=64, seed=3
    ).replace(wrap=True)
    argv = ["compare"]
    for field in dataclasses.fields(Config):
        option, value = "--" + field.name.replace("_", "-"), getattr(changed, field.name)
        argv += [option] if value is True else [option, str(value)]
    assert config_from(build_parser().parse_args(argv)) == changed
    with pytest.raises(SystemExit):
        build_parser().parse_args(["compare", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for comment in ("letters the model reads before predicting the next one", "Adam's step size"):
        assert comment in help_text


# --- logs: a stopped run keeps its own, and never touches another run's ---------------


def logged_epochs(directory: Path) -> list[int]:
    """The steps of every `epoch_loss` TensorBoard can read in `directory`'s event files."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    return [
        event.step
        for path in sorted(directory.glob("events.out.tfevents.*"))
        for event in EventFileLoader(str(path)).Load()
        for value in event.summary.value
        if value.tag == "epoch_loss"
    ]


@pytest.mark.slow  # two processes that each import TensorFlow: about 10 s on 2 cores
@pytest.mark.timeout(180)  # on a loaded machine, past 60 s
def test_ctrl_c_keeps_the_run_s_logs_and_another_run_s_beside_them(tmp_path):
    """One `train` runs on, another finishes beside it in the same --logdir, then Ctrl-C
    stops the first: the finished run's files are untouched and the stopped run's epochs
    stay readable."""
    logs = tmp_path / "runs"
    options = ["--logdir", str(logs), "--units", "4", "--train-size", "64"]
    endless = ["train", "--impl", "lowlevel", "--epochs", "100000000", *options]
    with subprocess.Popen(
        [sys.executable, "-m", "alphabet_tutorial", *endless],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as running:
        try:
            finished = alphabet_tutorial("train", "--impl", "keras", "--epochs", "2", *options)
            assert finished.returncode == 0, finished.stderr
            keras_files = {p: p.read_bytes() for p in (logs / "keras").rglob("*") if p.is_file()}
            assert len(logged_epochs(logs / "keras" / "train")) == 2
            deadline = time.monotonic() + 60
            while len(logged_epochs(logs / "lowlevel" / "train")) < 3:  # flushed to the file
                assert running.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
            seen = len(logged_epochs(logs / "lowlevel" / "train"))
        finally:
            running.send_signal(signal.SIGINT)
            _, err = running.communicate(timeout=60)
    assert running.returncode == 128 + signal.SIGINT, err
    assert err.decode().splitlines()[-1] == "alphabet-tutorial: stopped by SIGINT"
    assert {p: p.read_bytes() for p in (logs / "keras").rglob("*") if p.is_file()} == keras_files
    steps = logged_epochs(logs / "lowlevel" / "train")
    assert steps == list(range(len(steps))) and len(steps) >= seen
    print(f"the stopped run kept {len(steps)} epochs ({seen} readable before the stop)")


def test_a_failed_run_keeps_the_epochs_it_logged_and_the_files_it_found(
    capsys, tmp_path, monkeypatch
):
    """A disk that fills up at the third epoch: one line and status 1; the run's logs keep
    the three epochs logged by then, and an earlier run's file is untouched."""
    from alphabet_tutorial.progress import ProgressBar

    earlier = tmp_path / "logs" / "keras" / "train" / "events.out.tfevents.1.earlier"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"an earlier run")

    def update(self, epoch, *metrics):
        if epoch == 3:  # after the third epoch is logged
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ProgressBar, "update", update)
    small = ("--impl", "lowlevel", "--epochs", "5", "--units", "4")
    status, out, err = run(capsys, "train", *small, "--logdir", str(tmp_path / "logs"))
    assert (status, out, err) == (1, "", "alphabet-tutorial: error: No space left on device\n")
    assert earlier.read_bytes() == b"an earlier run"
    assert logged_epochs(tmp_path / "logs" / "lowlevel" / "train") == [0, 1, 2]
