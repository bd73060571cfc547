"""Replacing a directory as a whole: the new set of files, or the old one, never a mix."""

import os
import signal
import stat

import pytest

from alphabet_tutorial import stopping
from alphabet_tutorial.atomic import replacing_directory, replacing_file


def test_a_finished_body_puts_the_staging_directory_in_place(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.png").write_bytes(b"old")
    with replacing_directory(target) as staging:
        assert staging.parent == tmp_path and staging != target
        (staging / "new.png").write_bytes(b"new")
        assert (target / "old.png").exists()  # readers still see the old set
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in target.iterdir()] == ["new.png"]
    assert target.stat().st_mode & 0o777 == 0o755


def test_a_failing_body_leaves_the_old_directory_and_no_staging(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.png").write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), replacing_directory(target) as staging:
        (staging / "half.png").write_bytes(b"half")
        raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in target.iterdir()] == ["old.png"]


def test_a_stop_signal_swallowed_inside_the_body_publishes_nothing(tmp_path):
    """A library that catches the signal's exception (as Playwright's loop can) does not
    make a stopped command publish: the swap checks for a signal first."""
    target = tmp_path / "out"
    try:
        with pytest.raises(stopping.Stopped):
            with replacing_directory(target) as staging:
                (staging / "image.png").write_bytes(b"png")
                try:
                    stopping.stop(signal.SIGTERM)
                except stopping.Stopped:
                    pass  # swallowed
    finally:
        stopping.received.clear()
    assert list(tmp_path.iterdir()) == []


# --- modes and links: what is made follows the umask, what is replaced keeps its mode --


@pytest.fixture(params=[0o022, 0o077, 0o002], ids=lambda mask: f"umask-{mask:03o}")
def umask(request):
    before = os.umask(request.param)
    yield request.param
    os.umask(before)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_file_or_directory_follows_the_umask(tmp_path, umask):
    with replacing_file(tmp_path / "w.npz") as file:
        file.write(b"new")
    with replacing_directory(tmp_path / "shots") as staging:
        (staging / "a.png").write_bytes(b"png")
    assert (mode(tmp_path / "w.npz"), mode(tmp_path / "shots")) == (0o666 & ~umask, 0o777 & ~umask)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shots", "w.npz"]


@pytest.mark.parametrize("kept", [0o644, 0o640, 0o600, 0o444])
def test_a_replaced_file_or_directory_keeps_its_mode(tmp_path, kept):
    (tmp_path / "w.npz").write_bytes(b"old")
    (tmp_path / "w.npz").chmod(kept)
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots").chmod(kept | 0o100)  # searchable
    with replacing_file(tmp_path / "w.npz") as file:
        file.write(b"new")
    with replacing_directory(tmp_path / "shots"):
        pass
    assert (tmp_path / "w.npz").read_bytes() == b"new"
    assert (mode(tmp_path / "w.npz"), mode(tmp_path / "shots")) == (kept, kept | 0o100)


def test_through_a_symbolic_link_the_target_is_replaced_and_the_link_stays(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "w.npz").write_bytes(b"old")
    (elsewhere / "shots").mkdir()
    (tmp_path / "w.npz").symlink_to(elsewhere / "w.npz")
    (tmp_path / "shots").symlink_to(elsewhere / "shots")
    with replacing_file(tmp_path / "w.npz") as file:
        file.write(b"new")
    with replacing_directory(tmp_path / "shots") as staging:
        (staging / "a.png").write_bytes(b"png")
    assert os.readlink(tmp_path / "w.npz") == str(elsewhere / "w.npz")
    assert os.readlink(tmp_path / "shots") == str(elsewhere / "shots")
    assert (elsewhere / "w.npz").read_bytes() == b"new"
    assert [p.name for p in (elsewhere / "shots").iterdir()] == ["a.png"]
    assert sorted(p.name for p in elsewhere.iterdir()) == ["shots", "w.npz"]  # no temporaries


def test_a_failing_body_leaves_the_old_file_and_no_temporary(tmp_path):
    (tmp_path / "w.npz").write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), replacing_file(tmp_path / "w.npz") as file:
        file.write(b"half")
        raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]
    assert (tmp_path / "w.npz").read_bytes() == b"old"
