"""A code block's matplotlib figures (alphabet_site/hooks/execute.py): each figure a block
leaves open is shown under it as an SVG image, as Jupyter's inline backend shows it, then
closed; `plt.show()` on the Agg backend shows nothing and warns of nothing."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys

import matplotlib
import matplotlib.pyplot as plt

from alphabet_site.fences import parse
from alphabet_site.hooks import execute

PLOT = """\
import matplotlib.pyplot as plt

plt.plot([3.0, 2.0, 1.0], label="loss")
plt.plot([2.5, 1.5, 1.0], label="val_loss")
plt.xlabel("epoch")
plt.legend()
plt.show()
"""


def ran(code: str):
    fence = next(f for f in parse(f"Prose.\n\n```python\n{code}```\n") if f.runnable)
    return fence, execute.run(fence, {}, "docs/plot.md", "docs/plot.md", seconds=60)


def test_a_figure_left_open_is_shown_under_its_block_as_an_svg_image(monkeypatch):
    matplotlib.use("Agg")  # as the build's MPLBACKEND
    monkeypatch.setenv("DISPLAY", ":0")  # where `plt.show()` on Agg would warn
    fence, output = ran(PLOT)
    assert (output.text, output.result) == ("", None)
    [figure] = output.figures
    svg = figure["image/svg+xml"]
    assert re.match(r'<svg [^>]*width="\d+" height="\d+"', svg)  # no prolog; CSS pixels
    assert figure["text/plain"] == "<Figure size 640x480 with 1 Axes>"  # as in a kernel
    assert "<title>Plot of values against epoch, one line each: loss; val_loss</title>" in svg
    assert plt.get_fignums() == []  # closed
    assert ran(PLOT)[1].figures == output.figures  # the same SVG every run
    [image] = [line for line in execute.shown(fence, output) if line.startswith("<img")]
    assert 'alt="Plot of values against epoch, one line each: loss; val_loss"' in image
    source = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', image)
    assert source and base64.b64decode(source[1]).decode() == svg


def test_a_block_that_leaves_no_figure_open_shows_none():
    _, output = ran(PLOT.replace("plt.show()", "plt.close()"))
    assert output.figures == []


def test_a_build_draws_without_writing_into_the_home_directory(tmp_path):
    """matplotlib keeps a font cache: the build's and the tests' goes to the private
    temporary directory env.setup makes, not to ~/.cache/matplotlib."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    code = (
        "from alphabet_tutorial import env; env.setup(private_keras_home=True)\n"
        "import io, matplotlib.pyplot as plt\n"
        "plt.plot([1, 2]); plt.savefig(io.StringIO(), format='svg')\n"
    )
    unset = ("MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "KERAS_HOME")
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=work,
        env={**environment, "HOME": str(home), "MPLBACKEND": "Agg"},
        check=True,
        timeout=120,
    )
    assert list(home.iterdir()) == [] and list(work.iterdir()) == []
