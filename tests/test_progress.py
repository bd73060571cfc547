"""The progress bar of a training run, on a terminal and in a log."""

from io import StringIO

from alphabet_tutorial.progress import ProgressBar


def test_progress_bar_writes_a_few_lines_to_a_non_terminal():
    stream = StringIO()
    progress = ProgressBar(15, "keras", stream=stream)
    for epoch in range(1, 16):
        progress.update(epoch, loss=1 / epoch, accuracy=0.5, eval_accuracy=epoch / 15)
    lines = stream.getvalue().splitlines()
    assert 2 <= len(lines) <= 6
    assert "\r" not in stream.getvalue()
    assert "15/15" in lines[-1]
    assert lines[-1].startswith("keras [" + "=" * 24 + "] 15/15 loss 0.0667 acc 0.500")
    assert "every-window acc 1.000" in lines[-1]


class Terminal(StringIO):
    def isatty(self):
        return True


def test_progress_bar_redraws_one_line_on_a_terminal():
    stream = Terminal()
    progress = ProgressBar(4, "lowlevel", stream=stream, width=8)
    for epoch in range(1, 5):
        progress.update(epoch, loss=0.5, accuracy=0.5, eval_accuracy=0.5)
    text = stream.getvalue()
    assert text.count("\r") == 4
    assert text.endswith("\n") and text.count("\n") == 1
    assert "[=>      ] 1/4" in text
    assert "[========] 4/4" in text
