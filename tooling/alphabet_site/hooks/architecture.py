"""Draw the architecture diagram of the recap chapter from the model itself.

The shapes and the parameter count on the picture are read from the variables of a
freshly built `LowLevelLSTM(Config())`, so the diagram follows the code. The SVG is
written to a temporary directory at build time and added to the site as
`img/architecture.svg` (nothing is written into docs/). Run this file to print it.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

OUT_DIR = Path(tempfile.mkdtemp(prefix="alphabet-diagram-"))
atexit.register(shutil.rmtree, OUT_DIR, ignore_errors=True)
URI = "img/architecture.svg"

INK, MUTED, CELL, DENSE, LETTER = "#263238", "#607d8b", "#ffe0b2", "#c8e6c9", "#e3f2fd"


def shapes() -> dict:
    """Shapes of the low-level model's variables, its size and the default window."""
    from alphabet_tutorial import Config
    from alphabet_tutorial.lowlevel import LowLevelLSTM

    config = Config()
    model = LowLevelLSTM(config)
    return {
        "window": config.window,
        "units": config.units,
        "kernel": tuple(model.cell.kernel.shape),
        "recurrent_kernel": tuple(model.cell.recurrent_kernel.shape),
        "bias": tuple(model.cell.bias.shape),
        "dense_kernel": tuple(model.dense_kernel.shape),
        "dense_bias": tuple(model.dense_bias.shape),
        "parameters": model.count_params(),
    }


def box(x, y, width, height, fill, lines, bold_first=True) -> str:
    parts = [
        f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="8" fill="{fill}" '
        f'stroke="{INK}" stroke-width="1.5"/>'
    ]
    top = y + height / 2 - 9 * (len(lines) - 1)
    for number, text in enumerate(lines):
        weight = ' font-weight="bold"' if bold_first and number == 0 else ""
        size = 15 if number == 0 else 12.5
        parts.append(
            f'<text x="{x + width / 2}" y="{top + 18 * number + 5}" font-size="{size}"'
            f'{weight} text-anchor="middle">{text}</text>'
        )
    return "\n".join(parts)


def arrow(x1, y1, x2, y2, label="", dx=0, dy=-8) -> str:
    line = (
        f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{INK}" stroke-width="1.5" '
        'marker-end="url(#head)"/>'
    )
    if label:
        line += (
            f'\n<text x="{(x1 + x2) / 2 + dx}" y="{(y1 + y2) / 2 + dy}" font-size="12" '
            f'fill="{MUTED}" text-anchor="middle">{label}</text>'
        )
    return line


def svg(shapes: dict) -> str:
    window, units = shapes["window"], shapes["units"]
    step_width, gap, left = 140, 90, 30
    dense_x = left + window * step_width + (window - 1) * gap + 90
    out_x = dense_x + 240
    width = out_x + 180
    cell_y, letter_y = 110, 250
    letters = "abcdefghijklmnopqrstuvwxyz"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 330" '
        f'width="{width}" height="330" font-family="system-ui, sans-serif" fill="{INK}" '
        'role="img" aria-labelledby="title">',
        f'<title id="title">The next-letter model: {window} letters, one-hot, go through '
        f"an LSTM cell unrolled {window} times; its last hidden state ({units} numbers) feeds "
        "a dense softmax layer that gives the probability of each of the 26 letters.</title>",
        '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker>'
        "</defs>",
        f'<rect width="{width}" height="330" rx="12" fill="#ffffff"/>',
        f'<text x="{left}" y="34" font-size="14" fill="{MUTED}">One LSTM cell, applied to '
        f"each letter in turn (the same weights at every step): kernel {shapes['kernel']}, "
        f"recurrent kernel {shapes['recurrent_kernel']}, bias {shapes['bias']}</text>",
        f'<text x="{left}" y="56" font-size="14" fill="{MUTED}">Parameters in all: '
        f"{shapes['parameters']:,}</text>",
    ]
    for step in range(window):
        x = left + step * (step_width + gap)
        parts.append(box(x, cell_y, step_width, 70, CELL, ["LSTM cell", f"step_{step}"]))
        parts.append(
            box(
                x + 15,
                letter_y,
                step_width - 30,
                56,
                LETTER,
                [f"“{letters[step]}”", "one-hot (26,)"],
            )
        )
        parts.append(arrow(x + step_width / 2, letter_y, x + step_width / 2, cell_y + 72))
        if step:
            parts.append(
                arrow(x - gap, cell_y + 35, x - 2, cell_y + 35, f"h, c ({units},)", dy=-10)
            )
    last = left + (window - 1) * (step_width + gap) + step_width
    parts.append(arrow(last, cell_y + 35, dense_x - 2, cell_y + 35, f"h ({units},)", dy=-10))
    parts.append(
        box(
            dense_x,
            cell_y - 10,
            170,
            90,
            DENSE,
            ["Dense + softmax", f"kernel {shapes['dense_kernel']}", f"bias {shapes['dense_bias']}"],
        )
    )
    parts.append(arrow(dense_x + 170, cell_y + 35, out_x - 2, cell_y + 35, "(26,)", dy=-10))
    parts.append(
        box(
            out_x,
            cell_y - 10,
            150,
            90,
            "#fff9c4",
            ["P(next letter)", "26 probabilities", f"argmax → “{letters[window]}”"],
        )
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def on_files(files, config):
    from mkdocs.structure.files import File

    (OUT_DIR / URI).parent.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / URI).write_text(svg(shapes()), encoding="utf-8")
    files.append(
        File(
            URI,
            src_dir=str(OUT_DIR),
            dest_dir=config["site_dir"],
            use_directory_urls=config["use_directory_urls"],
        )
    )
    return files


if __name__ == "__main__":
    print(svg(shapes()), end="")
