"""Replacing a directory as a whole: the new set of files, or the old one, never a mix."""

import signal

import pytest

from alphabet_tutorial import stopping
from alphabet_tutorial.atomic import replacing_directory


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
