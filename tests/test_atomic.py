"""Replacing a directory as a whole: the new set of files, or the old one, never a mix."""

import pytest

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
