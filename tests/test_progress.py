"""The progress bar of a training run, on a terminal and in a log."""

import re
from io import StringIO

from alphabet_tutorial.progress import ProgressBar

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_progress_bar_writes_a_few_plain_lines_to_a_non_terminal():
    stream = StringIO()
    progress = ProgressBar(15, "keras", stream=stream)
    for epoch in range(1, 16):
        progress.update(epoch, loss=1 / epoch, accuracy=0.5, eval_accuracy=epoch / 15)
    text = stream.getvalue()
    lines = text.splitlines()
    assert 2 <= len(lines) <= 6
    assert "\r" not in text and "\x1b" not in text  # no redrawing, no colours
    assert re.match(r"keras ━{24} 15/15 \d+\.\d\d s/epoch \d:\d\d:\d\d eta 0:00:00 ", lines[-1])
    assert lines[-1].endswith("loss 0.0667 acc 0.500 every-window acc 1.000")
    assert all(line.startswith("keras ") for line in lines)


class Terminal(StringIO):
    def isatty(self):
        return True


def test_progress_bar_redraws_one_line_on_a_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")  # a wide terminal: no column is cut short
    stream = Terminal()
    progress = ProgressBar(4, "lowlevel", stream=stream)
    for epoch in range(1, 5):
        progress.update(epoch, loss=0.5, accuracy=0.5, eval_accuracy=0.5)
    text = ANSI.sub("", stream.getvalue())
    assert text.count("\r") >= 4  # redrawn in place after each epoch
    assert text.endswith("\n") and text.count("\n") == 1  # and left on screen at the end
    assert "1/4" in text and "every-window acc 0.500" in text
    assert text.rstrip("\n").split("\r")[-1].startswith("lowlevel " + "━" * 24 + " 4/4")


def test_progress_bar_stopped_early_leaves_the_terminal_clean():
    stream = Terminal()
    with ProgressBar(10, "keras", stream=stream) as progress:
        progress.update(1, loss=0.5, accuracy=0.5, eval_accuracy=0.5)
    assert stream.getvalue().endswith("\n\x1b[?25h")  # on a new line, cursor shown again
