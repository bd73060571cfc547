"""Bad input, as a hostile user or an unlucky machine gives it: each case is refused
with an exception (library) or exit status 2 and one line (CLI) that names the problem,
before any work is done and with nothing written.
"""

import io
import json
import os
import re
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from helpers import cannot_run_here

from alphabet_site import cli as site_cli
from alphabet_tutorial import Config
from alphabet_tutorial.cli import main
from alphabet_tutorial.evaluation import predict_next, score
from alphabet_tutorial.task import decode, encode_prompt, windows
from alphabet_tutorial.weights import WEIGHT_NAMES, load_weights, save_weights, weight_shapes


class WindowThreeModel:
    """Stands in for a trained model: it was built for windows of 3 letters."""

    config = Config(window=3)

    def __call__(self, inputs):
        return np.full((len(inputs), 26), 1 / 26, np.float32)


def good_weights(config=Config(units=4)):
    rng = np.random.default_rng(0)
    return [rng.normal(size=shape).astype(np.float32) for shape in weight_shapes(config)]


def with_array(index, value):
    weights = good_weights()
    weights[index] = value
    return weights


LIBRARY_CASES = {  # id -> (call, exception, message pattern)
    "window-five-on-a-window-three-model": (
        lambda: predict_next(WindowThreeModel(), "abcde", Config(window=5)),
        ValueError,
        "the model was built for window=3 but the config says window=5",
    ),
    "score-with-window-five-on-a-window-three-model": (
        lambda: score(WindowThreeModel(), Config(window=5)),
        ValueError,
        "the model was built for window=3 but the config says window=5",
    ),
    "predict-without-a-config": (
        lambda: predict_next(WindowThreeModel(), "abc", None),
        TypeError,
        "config must be a Config, got None",
    ),
    "wrap-as-a-string": (lambda: windows(3, wrap="no"), ValueError, "wrap must be True or False"),
    "wrap-as-an-int": (lambda: windows(3, wrap=1), ValueError, "wrap must be True or False, got 1"),
    "decode-none": (lambda: decode(None), ValueError, "letter indices, got None"),
    "decode-a-string": (lambda: decode("abc"), ValueError, "letter indices, got 'abc'"),
    "seed-2-to-the-40": (lambda: Config(seed=2**40), ValueError, "seed must be an integer from 0"),
    "seed-of-20-digits": (
        lambda: Config(seed=99999999999999999999),
        ValueError,
        "got 99999999999999999999",
    ),
    "numpy-seed-too-big": (lambda: Config(seed=np.uint64(2**63)), ValueError, "seed"),
    "save-no-arrays": (
        lambda: save_weights("w.npz", [], Config(units=4), "lowlevel"),
        ValueError,
        r"expected 5 arrays \(lstm_kernel, .*\), got 0",
    ),
    "save-not-a-list": (
        lambda: save_weights("w.npz", "weights", Config(units=4), "lowlevel"),
        ValueError,
        "weights must be a list of 5 arrays, got 'weights'",
    ),
    "save-unknown-impl": (
        lambda: save_weights("w.npz", good_weights(), Config(units=4), "nonsense"),
        ValueError,
        "impl must be one of lowlevel, keras, got 'nonsense'",
    ),
    "save-wrong-shape": (
        lambda: save_weights("w.npz", good_weights(), Config(units=5), "lowlevel"),
        ValueError,
        r"lstm_kernel has shape \(26, 16\), but units=5 needs \(26, 20\)",
    ),
    "save-nan": (
        lambda: save_weights(
            "w.npz", with_array(1, np.full((4, 16), np.nan)), Config(units=4), "keras"
        ),
        ValueError,
        "lstm_recurrent_kernel holds non-finite values",
    ),
    "save-text": (
        lambda: save_weights(
            "w.npz", with_array(4, np.array(["x"] * 26)), Config(units=4), "keras"
        ),
        ValueError,
        "dense_bias must hold real numbers, got dtype <U1",
    ),
    "save-without-config": (
        lambda: save_weights("w.npz", good_weights(), None, "keras"),
        TypeError,
        "config must be a Config, got None",
    ),
}


@pytest.mark.parametrize(
    ("call", "exception", "pattern"), LIBRARY_CASES.values(), ids=LIBRARY_CASES
)
def test_library_refuses_bad_input_naming_it(tmp_path, monkeypatch, call, exception, pattern):
    monkeypatch.chdir(tmp_path)  # the save cases would write here
    with pytest.raises(exception, match=pattern):
        call()
    assert list(tmp_path.iterdir()) == []


def test_numpy_integers_are_integers():
    assert len(windows(np.int64(3))) == 23
    assert encode_prompt("abcd", np.int32(3)).shape == (1, 3, 26)
    config = Config(window=np.int64(4), seed=np.uint32(9), wrap=np.bool_(True))
    assert (config.window, config.seed, config.wrap) == (4, 9, True)
    assert type(config.window) is int and type(config.wrap) is bool  # JSON-serialisable
    assert json.loads(json.dumps(config.as_dict()))["window"] == 4


def test_largest_seed_is_accepted():
    assert Config(seed=2**32 - 1).seed == 2**32 - 1


# --- weight files ----------------------------------------------------------------------


def weights_file(path, weights=None, meta=None, **changes):
    """An .npz laid out like save_weights' (without its checks), with the given changes."""
    meta = meta if meta is not None else {"impl": "keras", "config": Config(units=4).as_dict()}
    if isinstance(meta, dict):
        meta = {**meta, **changes}
    arrays = dict(zip(WEIGHT_NAMES, weights or good_weights(), strict=True))
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)


def npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npy_header(shape, dtype="<f4") -> bytes:
    """The .npy header of an array, without its data."""
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def npz_members(path, **members: bytes) -> None:
    """A good weights file (units=4) with some members replaced or added, deflated."""
    weights_file(path)
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    contents.update({f"{name}.npy": data for name, data in members.items()})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


WEIGHT_FILES = {  # id -> (write the file at path, message pattern)
    "random-bytes": (
        lambda p: p.write_bytes(np.random.default_rng(1).bytes(4096)),
        "not an .npz \\(zip\\) archive",
    ),
    "a-pickle": (lambda p: p.write_bytes(b"\x80\x04\x95cos\nsystem\n."), "not an .npz"),
    "an-npy-file": (lambda p: p.write_bytes(npy_bytes(np.zeros(3))), "not an .npz"),
    "a-plain-zip": (
        lambda p: zipfile.ZipFile(p, "w").close(),
        "it has no array 'meta'",
    ),
    "object-array": (
        lambda p: weights_file(p, with_array(4, np.array([object()] * 26, dtype=object))),
        "dense_bias must hold real numbers, got dtype object",
    ),
    "huge-declared-shape": (  # 3.64 TiB declared, 4 bytes given
        lambda p: npz_members(p, lstm_kernel=npy_header((10**6, 10**6)) + bytes(4)),
        r"lstm_kernel has shape \(1000000, 1000000\), but units=4 needs \(26, 16\)",
    ),
    "more-bytes-than-its-header-declares": (  # 100 MB that deflate to 100 kB
        lambda p: npz_members(p, lstm_bias=npy_header((16,)) + bytes(10**8)),
        "its array 'lstm_bias' takes 100000128 bytes, but its header declares 192",
    ),
    "npy-version-3": (
        lambda p: npz_members(p, dense_bias=b"\x93NUMPY\x03\x00" + bytes(200)),
        r"its array 'dense_bias' has .npy version \(3, 0\), not 1.0 or 2.0",
    ),
    "huge-metadata": (
        lambda p: npz_members(p, meta=npy_bytes(np.array("x" * 10**6))),
        "metadata takes",
    ),
    "a-seventh-member": (
        lambda p: npz_members(p, extra=npy_bytes(np.zeros(3))),
        "it holds 7 members; a weights file holds 6",
    ),
    "units-beyond-what-a-file-may-hold": (
        lambda p: weights_file(p, config=Config(units=10**5).as_dict()),
        r"units=100000 needs 320\d+ bytes of arrays, more than a weights file may hold",
    ),
    "float64-beyond-float32": (
        lambda p: weights_file(p, with_array(4, np.full(26, 1e300))),
        "dense_bias holds values beyond float32's range",
    ),
    "nan": (
        lambda p: weights_file(p, with_array(0, np.full((26, 16), np.nan, np.float32))),
        "lstm_kernel holds non-finite values",
    ),
    "infinity": (
        lambda p: weights_file(p, with_array(2, np.full(16, -np.inf, np.float32))),
        "lstm_bias holds non-finite values",
    ),
    "text-array": (
        lambda p: weights_file(p, with_array(3, np.full((4, 26), "1.0"))),
        "dense_kernel must hold real numbers",
    ),
    "complex-array": (
        lambda p: weights_file(p, with_array(3, np.ones((4, 26), np.complex64))),
        "dense_kernel must hold real numbers",
    ),
    "shapes-for-another-config": (
        lambda p: weights_file(p, config=Config(units=8).as_dict()),
        r"lstm_kernel has shape \(26, 16\), but units=8 needs \(26, 32\)",
    ),
    "unknown-impl": (lambda p: weights_file(p, impl="pytorch"), "got 'pytorch'"),
    "meta-a-list": (
        lambda p: weights_file(p, meta=[1, 2]),
        "metadata is not ours",
    ),
}


@pytest.mark.parametrize(("write", "pattern"), WEIGHT_FILES.values(), ids=WEIGHT_FILES)
def test_weights_file_is_refused_naming_file_and_problem(tmp_path, write, pattern):
    path = tmp_path / "w.npz"
    write(path)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + pattern) as raised:
        load_weights(path)
    message = str(raised.value)
    assert "pickle" not in message and "unsafe" not in message and "\n" not in message


def test_crafted_weights_files_are_refused_before_their_arrays_are_read(tmp_path):
    crafted = {
        "huge.npz": {"lstm_kernel": npy_header((10**6, 10**6)) + bytes(4)},  # 3.64 TiB declared
        "bomb.npz": {"dense_kernel": npy_header((4, 26), "<f8") + bytes(10**8)},  # 100 MB
        "meta.npz": {"meta": npy_bytes(np.array("x" * 10**7))},  # 40 MB of metadata
    }
    for name, members in crafted.items():
        npz_members(tmp_path / name, **members)
        assert (tmp_path / name).stat().st_size < 200_000
    tracemalloc.start()
    try:
        for name in crafted:
            with pytest.raises(ValueError, match=name):
                load_weights(tmp_path / name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"{peak} bytes allocated to refuse them"


# --- the command line -----------------------------------------------------------------


@pytest.fixture
def no_training(monkeypatch):
    """Any training (of either model, or for the screenshots) fails the test."""
    from alphabet_site.screenshots import capture
    from alphabet_tutorial import keras_model, lowlevel

    def train(*args, **kwargs):
        raise AssertionError("trained before refusing the input")

    for module, name in ((lowlevel, "train"), (keras_model, "train"), (capture, "train_both")):
        monkeypatch.setattr(module, name, train)


def bad_weights(path):
    weights_file(path, with_array(0, np.full((26, 16), np.nan, np.float32)))


# Folders of the user's that `alphabet-site screenshots --out` must not replace: name ->
# {entry: bytes, a manifest (dict or text), or None for a folder}. Only a capture's own
# files are replaced.
CAPTURE = {"made_by": "alphabet-tutorial screenshots", "images": [{"file": "scalars.png"}]}
USER_FOLDERS = {
    "photos": {"beach.png": b"png", "dog.png": b"png"},  # no manifest
    "holiday": {"manifest.json": CAPTURE, "scalars.png": b"png", "holiday.png": None},
    "unlisted": {"manifest.json": CAPTURE, "scalars.png": b"png", "mine.png": b"png"},
    "other-manifest": {"manifest.json": {**CAPTURE, "made_by": "me"}, "scalars.png": b"png"},
    "broken-manifest": {"manifest.json": "{", "scalars.png": b"png"},
}


def make_user_folders(root: Path) -> None:
    for folder, entries in USER_FOLDERS.items():
        for name, content in entries.items():
            path = root / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if content is None:
                path.mkdir()
                (path / "sea.jpg").write_bytes(b"jpg")
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content if isinstance(content, str) else json.dumps(content))


# The command lines given to the CLIs, a case a line: id -> [argv, what the one line of
# error names] (`screenshots` is the site tooling's command, `alphabet-site`). {tmp} is the
# test's directory, which holds a file `file`, a directory `dir.npz`, random bytes
# `random.npz`, weights with NaN in them `nan.npz`, weights whose header declares 3.64 TiB
# `huge.npz`, float64 weights beyond float32's range `float64.npz`, good weights of the
# Keras model `keras.npz`, and the USER_FOLDERS.
CLI_CASES = json.loads((Path(__file__).parent / "bad_cli_input.json").read_text())


def command_of(argv: list[str]) -> tuple:
    """(main, its name) of the command that runs `argv`."""
    return (
        (site_cli.main, "alphabet-site")
        if argv[0] == "screenshots"
        else (main, "alphabet-tutorial")
    )


@pytest.mark.parametrize(("argv", "named"), CLI_CASES.values(), ids=CLI_CASES)
def test_cli_refuses_bad_input_in_one_line_before_any_work(
    capsys, tmp_path, no_training, argv, named
):
    (tmp_path / "file").write_text("a file")
    (tmp_path / "dir.npz").mkdir()
    (tmp_path / "random.npz").write_bytes(np.random.default_rng(2).bytes(1000))
    bad_weights(tmp_path / "nan.npz")
    npz_members(tmp_path / "huge.npz", lstm_kernel=npy_header((10**6, 10**6)) + bytes(4))
    weights_file(tmp_path / "float64.npz", with_array(4, np.full(26, 1e300)))
    weights_file(tmp_path / "keras.npz")
    make_user_folders(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    run, name = command_of(argv.split())
    status = run(argv.format(tmp=tmp_path).split())
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith(f"{name}: error: ") and err.count("\n") == 1
    assert named.format(tmp=tmp_path) in err
    assert "pickle" not in err
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, nothing half-written


@pytest.mark.slow
@pytest.mark.parametrize("impl", ["lowlevel", "keras"])
def test_a_run_whose_loss_becomes_nan_stops_at_that_epoch_and_saves_nothing(capsys, tmp_path, impl):
    argv = ["train", "--impl", impl, "--units", "4", "--epochs", "50", "--learning-rate", "1e37"]
    status = main([*argv, "--save", str(tmp_path / "w.npz")])
    err = capsys.readouterr().err
    assert status == 2
    last = err.splitlines()[-1]
    assert re.fullmatch(
        "alphabet-tutorial: error: loss became (NaN|infinite) at epoch 1: lower the learning rate",
        last,
    ), last
    assert list(tmp_path.iterdir()) == []


# --- a read-only and a full file system, for real (tmpfs in a mount namespace) ---------

IN_MOUNT_NAMESPACE = """
set -e
mount -t tmpfs -o ro,size=64k tmpfs "$ROOT/ro"
mount -t tmpfs -o size=64k tmpfs "$ROOT/full"
dd if=/dev/zero of="$ROOT/full/filler" bs=4k 2>/dev/null || true
"$@"
find "$ROOT/full" -type f
"""
RUN_COMMANDS = """
import io, json, sys
from contextlib import redirect_stderr, redirect_stdout
from alphabet_site.cli import main as site_main
from alphabet_tutorial.cli import main
for argv in json.loads(sys.argv[1]):
    with redirect_stderr(io.StringIO()) as err, redirect_stdout(io.StringIO()):
        status = (site_main if argv[0] == "screenshots" else main)(argv)
    print(json.dumps([status, err.getvalue().splitlines()[-1:]]))
"""
SMALL = ["--impl", "lowlevel", "--epochs", "1", "--units", "4"]
FILESYSTEM_CASES = [  # argv, status, the last line of stderr after "<command>: error: "
    (["train", "--save", "{ro}/w.npz"], 2, "cannot write weights file '{ro}/w.npz': Read-only "),
    (["train", "--logdir", "{ro}/logs"], 2, "cannot write log directory '{ro}/logs/keras': Read"),
    (["screenshots", "--out", "{ro}/shots"], 2, "cannot write screenshots directory '{ro}/shots'"),
    (["train", *SMALL, "--save", "{full}/w.npz"], 1, "'{full}/w.npz': No space left on device"),
    (["train", *SMALL, "--logdir", "{full}/logs"], 1, "'{full}/logs/lowlevel/train/events.out"),
]


@pytest.mark.slow
def test_read_only_and_full_file_systems_give_one_line_and_no_half_written_weights(tmp_path):
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode:
        cannot_run_here("unshare -m (a private mount namespace) is not permitted here")
    (tmp_path / "ro").mkdir()
    (tmp_path / "full").mkdir()
    paths = {"ro": tmp_path / "ro", "full": tmp_path / "full"}
    argvs = [[word.format(**paths) for word in argv] for argv, _, _ in FILESYSTEM_CASES]
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", IN_MOUNT_NAMESPACE, "sh"]
        + [sys.executable, "-c", RUN_COMMANDS, json.dumps(argvs)],
        capture_output=True,
        text=True,
        env={**os.environ, "ROOT": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    *lines, files = result.stdout.strip().split("\n", len(FILESYSTEM_CASES))
    for (argv, status, message), line in zip(FILESYSTEM_CASES, lines, strict=True):
        expected = f"{command_of(argv)[1]}: error: {message.format(**paths)}"
        assert json.loads(line) == [status, [line_of(expected, line)]], argv
    filler, kept = sorted(files.split())  # no weights file; the failed run's event file stays
    assert (filler, Path(kept).parent) == (
        f"{paths['full']}/filler",
        paths["full"] / "logs/lowlevel/train",
    )


def line_of(prefix: str, output: str) -> str:
    """The one error line, if it starts with `prefix`."""
    (last,) = json.loads(output)[1]
    return last if last.startswith(prefix) else f"{last!r} does not start with {prefix!r}"
