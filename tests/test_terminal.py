"""Outputs that redraw their line (Keras's progress bar) are shown as last drawn."""

from __future__ import annotations

from pathlib import Path

from alphabet_site.terminal import shown

REPO = Path(__file__).resolve().parent.parent


# What `fit(verbose=1)` printed for one epoch of 16 steps, captured from Keras 3.
PROGRESS = (
    "Epoch 1/2\n\r\x1b[1m 1/16\x1b[0m \x1b[32m━\x1b[0m\x1b[37m━━━\x1b[0m \x1b[1m1:24\x1b[0m "
    "6s/step - accuracy: 0.0625 - loss: 3.2506" + "\b" * 60 + "\r\x1b[1m16/16\x1b[0m "
    "\x1b[32m━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m6s\x1b[0m 4ms/step - accuracy: 0.4805 - "
    "loss: 2.9737 \nEpoch 2/2\n"
)


def test_a_progress_bar_shows_its_last_drawing_without_colours():
    assert shown(PROGRESS) == (
        "Epoch 1/2\n16/16 ━━━━ 6s 4ms/step - accuracy: 0.4805 - loss: 2.9737\nEpoch 2/2\n"
    )


def test_a_shorter_drawing_leaves_the_end_of_the_longer_one_as_a_terminal_does():
    assert shown("loading 100%\rdone") == "doneing 100%"


def test_plain_output_is_unchanged():
    text = "abc -> d (97.1%)\n  indented  \n\n| a | b |\n"
    assert shown(text) == text
