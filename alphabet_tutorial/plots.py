"""A training curve as a small SVG image, drawn from `fit`'s history.

No plotting library: a few lines and axes are all the chapter needs. The image shows
itself in Jupyter and Colab (alphabet_tutorial.display), and it is inline on the site,
which loads nothing for it.
"""

from __future__ import annotations

import math
from html import escape

from alphabet_tutorial.display import SVG

COLOURS = ("#e65100", "#1565c0", "#2e7d32", "#6a1b9a")


def tick_step(peak: float) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that ticks 0 to `peak` in 2 to 5."""
    magnitude = 10.0 ** math.floor(math.log10(peak / 4))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= peak / 4)


def curves_svg(
    series: dict[str, list[float]], title: str, y_label="loss", width=560, height=260
) -> SVG:
    """One line per named series over the epochs, a marker on each epoch's value, on shared
    axes from 0 to a round number above the maximum, with round ticks; the epochs are
    ticked and numbered from 1. `y_label` names the vertical axis."""
    if not series or not all(series.values()):
        raise ValueError("curves_svg needs at least one non-empty series")
    left, right, top, bottom = 56, 150, 28, 44
    epochs = max(len(values) for values in series.values())
    step = tick_step(max(max(values) for values in series.values()) or 1.0)
    peak = step * math.ceil(max(max(values) for values in series.values()) / step - 1e-9) or step
    plot_w, plot_h = width - left - right, height - top - bottom
    base = top + plot_h  # the y of the epoch axis

    def x(epoch: int) -> float:  # epoch counted from 0
        return left + plot_w * (epoch / max(epochs - 1, 1))

    def y(value: float) -> float:
        return top + plot_h * (1 - value / peak)

    def text(x_at, y_at, anchor, label, size=12) -> str:
        return (
            f'<text x="{x_at:.1f}" y="{y_at:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="currentColor">{label}</text>'
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" class="training-curve">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="currentColor"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="currentColor"/>',
        text(left + plot_w / 2, height - 6, "middle", "epoch", size=13),
        f'<text x="{-(top + plot_h / 2):.1f}" y="16" transform="rotate(-90)" '
        f'text-anchor="middle" font-size="13" fill="currentColor">{escape(y_label)}</text>',
    ]
    every = -(-epochs // 15)  # a number on every epoch, or every second... when there are many
    for epoch in range(epochs):
        parts.append(
            f'<line x1="{x(epoch):.1f}" y1="{base}" x2="{x(epoch):.1f}" y2="{base + 4}" '
            'stroke="currentColor"/>'
        )
        if epoch % every == 0:
            parts.append(text(x(epoch), base + 17, "middle", epoch + 1))
    for tick in range(round(peak / step) + 1):
        value = tick * step
        parts.append(
            f'<line x1="{left - 4}" y1="{y(value):.1f}" x2="{left}" y2="{y(value):.1f}" '
            'stroke="currentColor"/>'
        )
        parts.append(text(left - 6, y(value) + 4, "end", f"{value:g}"))
    for number, (name, values) in enumerate(series.items()):
        colour = COLOURS[number % len(COLOURS)]
        points = [(x(i), y(v)) for i, v in enumerate(values)]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
        )
        parts += [marker(px, py, colour) for px, py in points]
        label_y = top + 16 + 20 * number
        parts.append(
            f'<line x1="{left + plot_w + 12}" y1="{label_y - 4}" x2="{left + plot_w + 32}" '
            f'y2="{label_y - 4}" stroke="{colour}" stroke-width="2.5"/>'
        )
        parts.append(marker(left + plot_w + 22, label_y - 4, colour))
        parts.append(text(left + plot_w + 38, label_y, "start", escape(name), size=13))
    parts.append("</svg>")
    return SVG("".join(parts))


def marker(x_at: float, y_at: float, colour: str) -> str:
    """A dot on one epoch's value."""
    return f'<circle cx="{x_at:.1f}" cy="{y_at:.1f}" r="3.5" fill="{colour}"/>'
