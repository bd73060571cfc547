"""Prose follows the code: a chapter states no number that a changed config would leave
stale. The chapters write `{{ name }}` where a number depends on the code, and
alphabet_site/hooks/facts.py fills it in at build time; here every chapter is rendered through that
same hook with a changed config, and no number derived from the default one may remain.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

from alphabet_site.hooks import facts, measured
from alphabet_site.maths import to_mathml
from alphabet_tutorial import Config

REPO = Path(__file__).resolve().parent.parent


CHAPTERS = sorted((REPO / "docs").glob("*.md"))
# Every default that shapes a stated number, changed at once (units 32 -> 16, ...).
CHANGED = Config(window=4, units=16, epochs=10, batch_size=16, train_size=256)
# Version numbers are not facts of the model ("Keras 3", "TensorFlow 2.16").
# A listing marked standalone reads no Config: the numbers written into it stay when the
# config changes (the prose around it must not claim otherwise).
STANDALONE = re.compile(r"^<!-- standalone:[^>]*-->\n```python\n.*?^```$", re.M | re.S)
VERSIONS = re.compile(r"\b(?:Keras|Python|TensorFlow|tf\.keras|Keras's)\s+\d+(?:\.\d+)*")
# An environment variable set in a code span, such as `TF_CPP_MIN_LOG_LEVEL=3`: its value
# is TensorFlow's or Keras's, not the config's.
ENVIRONMENT = re.compile(r"`[A-Z][A-Z0-9_]*=[^`\s]*`")


def checked_text(markdown: str) -> str:
    """The chapter as a reader sees it, minus package code included from the source
    (the source is the truth), HTML comments and the standalone listings (their numbers are
    their own, by design); runnable code stays in (it must not hard-code a config value
    either)."""
    text = re.sub(r"^\s*--8<--.*$", "", markdown, flags=re.M)
    text = STANDALONE.sub("", text)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"^\d+\. ", "", text, flags=re.M)  # numbered lists
    return ENVIRONMENT.sub("", VERSIONS.sub("", text))


def stale_values(old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """Facts whose value changes with the config: their old value must not be stated."""
    skip = {"first_prompt", "first_answer"}  # "abc" and "d" are also ordinary examples
    return {name: old[name] for name in old if old[name] != new[name] and name not in skip}


def occurrences(text: str, value: str) -> list[str]:
    pattern = rf"(?<![\w.,-]){re.escape(value)}(?![\w]|[.,]\d)"
    if value in facts.WORDS:  # "three" counts only as a number of letters
        pattern = rf"\b{value}[ -]letter"
    return [text[max(m.start() - 40, 0) : m.end() + 40] for m in re.finditer(pattern, text)]


def test_the_changed_config_changes_the_facts_it_should():
    old, new = facts.facts(Config()), facts.facts(CHANGED)
    stale = stale_values(old, new)
    for name in ("units", "window", "windows", "parameters", "lstm_parameters", "train_size"):
        assert name in stale
    units = CHANGED.units  # an independent count: 4 gates of (26 + units + 1) x units, dense
    assert new["parameters"] == f"{4 * (26 + units + 1) * units + units * 26 + 26:,}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.name)
def test_no_chapter_states_a_number_of_the_old_config(chapter):
    old, new = facts.facts(Config()), facts.facts(CHANGED)
    # The GPU figures are a record of fixed sizes, not facts of the config: left out here
    # (tests/test_gpu_figures.py checks that the record's tutorial size is Config()'s).
    shown = {name: "" if name.startswith("gpu_") else value for name, value in new.items()}
    text = checked_text(facts.render(chapter.read_text(encoding="utf-8"), shown))
    found = {
        f"{name}={value}": hits
        for name, value in stale_values(old, new).items()
        if (hits := occurrences(text, value))
    }
    assert not found, f"{chapter.name} states numbers of the old config: {found}"


def test_the_placeholders_are_really_used():
    """Without the hook, the chapters would show the numbers this test looks for."""
    sources = "".join(chapter.read_text(encoding="utf-8") for chapter in CHAPTERS)
    used = set(re.findall(facts.PLACEHOLDER, sources))
    for name in ("window", "units", "windows", "lstm_parameters", "train_size", "epochs"):
        assert name in used


def test_every_placeholder_resolves_and_an_unknown_one_is_an_error():
    """What facts.py leaves is what the chapter's run measures (hooks/measured.py), and
    only what the chapter's run makes."""
    for chapter in CHAPTERS:
        rendered = facts.render(chapter.read_text(encoding="utf-8"), facts.facts())
        left = re.findall(r"\{\{.*?\}\}", rendered)
        made = {f"{{{{ measured.{name} }}}}" for name in measured.MEASURED.get(chapter.name, {})}
        assert set(left) <= made, chapter.name
    with pytest.raises(ValueError, match="unknown fact .*unit_count"):
        facts.render("{{ unit_count }}", facts.facts())
    with pytest.raises(PluginError, match="nothing measured is called 'speed'"):
        measured.fill("{{ measured.speed }}", {"knobs": "..."}, "conclusions.md")


def test_the_screenshots_were_taken_with_the_default_config():
    """They show the default config (3 unrolled steps, ...): change it, run `make screenshots`."""
    manifest = json.loads((REPO / "docs/img/tensorboard/manifest.json").read_text())
    assert manifest["config"] == Config().as_dict(), "stale screenshots: run make screenshots"


def test_equations_become_mathml_with_no_script():
    html = facts.mathml("$$\n\\sigma(x)\n$$\nand \\(h_t\\) inline")
    assert '<div class="equation"><math' in html and 'display="block"' in html
    assert "<msub><mi>h</mi><mi>t</mi></msub>" in html and "$$" not in html


def test_equations_keep_their_columns_and_display_style_in_chromium():
    """Chromium reads neither `columnalign` nor an empty <mstyle>: the alignment is CSS too,
    and what follows `\\displaystyle` moves inside its <mstyle>."""
    html = to_mathml(r"\begin{array}{rcl} a &=& \displaystyle b - \frac{c}{d} \end{array}", True)
    assert '<mtd columnalign="left" style="text-align: left">' in html
    styled = html.split('<mstyle displaystyle="true" scriptlevel="0">')[1]
    assert styled.startswith("<mi>b</mi>") and styled.index("<mfrac>") < styled.index("</mstyle>")
    assert "*" not in to_mathml("a * b")  # Markdown would read it as emphasis


def test_a_standalone_listing_may_write_its_own_numbers_and_nothing_else_may():
    listing = "```python\nwindow = 3\n```\n"
    marked = "<!-- standalone: its own numbers -->\n" + listing
    assert "window = 3" not in checked_text(marked + "After it.\n")
    assert "window = 3" in checked_text(listing)
    assert "3 letters" in checked_text(marked + "Then 3 letters.\n")  # prose still checked
    chapter = (REPO / "docs/keras-implementation.md").read_text(encoding="utf-8")
    assert len(STANDALONE.findall(chapter)) == 1  # the one-listing model, and only it


def test_inline_maths_stays_inside_its_sentence_and_epsilon_is_a_power_of_ten():
    html = facts.mathml("the dense layer gives the probabilities\n\\(p = x\\). The code")
    assert html.startswith('the dense layer gives the probabilities\n<span class="math"><math')
    assert html.endswith("</math></span>. The code")
    assert facts.latex_number(1e-07) == "10^{-7}" and facts.latex_number(0.999) == "0.999"
    assert facts.facts()["epsilon"] == "10^{-7}"


def test_the_knobs_answer_names_the_knobs_worth_turning_on_then_the_others():
    from alphabet_tutorial.compare import KnobRounds

    timed = KnobRounds(["defaults", "a", "b", "c"])
    for name, seconds in {"defaults": 0.040, "a": 0.030, "b": 0.036, "c": 0.050}.items():
        timed.add(name, [seconds, seconds], [seconds / 2, seconds / 2])  # two rounds
    space = {"timed": timed, "epochs": 30}
    assert measured.knobs({**space, "worth": ["a", "b"]}) == (
        "`a` (a warm epoch in 0.75× the default model's time) and `b` (0.90×) paid off for "
        "a run of 30 epochs; `c` did not"
    )
    assert measured.knobs({**space, "worth": ["a"]}) == (
        "`a` (a warm epoch in 0.75× the default model's time) paid off for a run of 30 "
        "epochs; `b` and `c` did not"
    )
    assert measured.knobs({**space, "worth": []}) == (
        "none of the knobs paid off for a run of 30 epochs"
    )


def test_fits_own_work_is_set_against_the_low_level_epoch():
    from types import SimpleNamespace

    from alphabet_tutorial.compare import KnobRounds

    timed = KnobRounds(["defaults"])
    timed.add("defaults", [0.040, 0.040], [0.020, 0.019])  # 20 and 21 ms around the calls
    for lowlevel, consequence in ((0.0150, True), (0.0175, False), (0.0300, False)):
        result = SimpleNamespace(epoch_seconds=lambda impl, s=lowlevel: [s])
        said = measured.around({"timed": timed, "result": result})
        assert said.startswith(
            f"`fit`'s own work around the calls took 20 ms an epoch (the knob table's "
            f"*Around them*), against {1000 * lowlevel:.1f} ms for the low-level model's whole "
            "epoch in the comparison (two measurements, so compare them roughly)"
        )
        assert said.endswith("can bring a Keras epoch down to it here") == consequence
