"""A training curve as a small SVG image, drawn from `fit`'s history.

No plotting library: a few lines and axes are all the chapter needs. The image shows
itself in Jupyter and Colab (alphabet_tutorial.display), and it is inline on the site,
which loads nothing for it.
"""

from __future__ import annotations

from html import escape

from alphabet_tutorial.display import SVG

COLOURS = ("#e65100", "#1565c0", "#2e7d32", "#6a1b9a")


def curves_svg(series: dict[str, list[float]], title: str, width=560, height=260) -> SVG:
    """One line per named series over the epochs, on shared axes from 0 to the maximum."""
    if not series or not all(series.values()):
        raise ValueError("curves_svg needs at least one non-empty series")
    left, right, top, bottom = 48, 150, 28, 36
    epochs = max(len(values) for values in series.values())
    peak = max(max(values) for values in series.values()) or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(epoch: int) -> float:
        return left + plot_w * (epoch / max(epochs - 1, 1))

    def y(value: float) -> float:
        return top + plot_h * (1 - value / peak)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" class="training-curve">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="currentColor"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="currentColor"/>',
        f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle" '
        f'font-size="13" fill="currentColor">epoch (1 to {epochs})</text>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="12" '
        f'fill="currentColor">{peak:.2f}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="12" '
        'fill="currentColor">0</text>',
    ]
    for number, (name, values) in enumerate(series.items()):
        colour = COLOURS[number % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
        )
        label_y = top + 16 + 20 * number
        parts.append(
            f'<line x1="{left + plot_w + 12}" y1="{label_y - 4}" x2="{left + plot_w + 32}" '
            f'y2="{label_y - 4}" stroke="{colour}" stroke-width="2.5"/>'
        )
        parts.append(
            f'<text x="{left + plot_w + 38}" y="{label_y}" font-size="13" '
            f'fill="currentColor">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return SVG("".join(parts))
