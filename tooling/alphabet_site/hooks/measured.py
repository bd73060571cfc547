"""Prose that states what a chapter's own run measured: `{{ measured.NAME }}`.

hooks/facts.py fills `{{ name }}` with what the package decides before anything runs. A
few sentences state what the chapter's code found when it ran in this build, such as the
knobs worth turning on in the conclusions; they write `{{ measured.NAME }}`, and this hook
fills it from the variables the chapter's code left (hooks/execute.py ran it, at priority
50). The values are kept in `page.meta["measured"]` for the chapter's notebook
(hooks/notebooks.py), and under `make serve` with the chapter's execution cache entry.
"""

from __future__ import annotations

import re
import statistics

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from alphabet_site.hooks.execute import derived

PLACEHOLDER = re.compile(r"\{\{\s*measured\.(?P<name>\w+)\s*\}\}")


def knobs(space: dict) -> str:
    """The knobs the conclusions' run found worth turning on (`worth`), the first with
    its warm epoch's ratio to the default model's, and those it did not."""
    timed, worth, epochs = space["timed"], space["worth"], space["epochs"]
    if not worth:
        return f"none of the knobs paid off for a run of {epochs} epochs"
    ratio = {name: f"{statistics.median(timed.to_baseline(name)):.2f}×" for name in worth}
    named = [f"`{worth[0]}` (a warm epoch in {ratio[worth[0]]} the default model's time)"]
    named += [f"`{name}` ({ratio[name]})" for name in worth[1:]]
    said = f"{in_words(named)} paid off for a run of {epochs} epochs"
    others = [f"`{name}`" for name in list(timed.seconds)[1:] if name not in worth]
    return f"{said}; {in_words(others)} did not" if others else said


def worth(space: dict) -> str:
    """The knobs worth turning on, by name only."""
    return in_words([f"`{name}`" for name in space["worth"]]) or "none of them"


ROUGHLY = 1.2  # two times measured apart must differ by more than this factor to be ranked


def around(space: dict) -> str:
    """`fit`'s own work in an epoch of the default model (the knob table's *Around them*),
    against the low-level model's whole epoch (the comparison's median): none of the knobs
    acts on the first, so when it is clearly the longer, none can bring Keras level. The
    two were measured apart, so only a clear difference counts (`ROUGHLY`)."""
    timed, result = space["timed"], space["result"]
    fit_work = 1000 * statistics.median(timed.around(timed.baseline))
    lowlevel = 1000 * statistics.median(result.epoch_seconds("lowlevel"))
    said = (
        f"`fit`'s own work around the calls took {fit_work:.0f} ms an epoch (the knob "
        f"table's *Around them*), against {lowlevel:.1f} ms for the low-level model's whole "
        "epoch in the comparison (two measurements, so compare them roughly)"
    )
    if fit_work > ROUGHLY * lowlevel:
        return f"{said}: no knob that speeds up the calls can bring a Keras epoch down to it here"
    return said


def in_words(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


# chapter: {name: (what makes its value, the variables of the chapter's run it reads)}
MEASURED = {
    "conclusions.md": {
        "knobs": (knobs, {"timed", "worth", "epochs"}),
        "worth": (worth, {"worth"}),
        "around": (around, {"timed", "result"}),
    }
}


def values(page) -> dict[str, str]:
    """The chapter's measured values, from the variables its code left: each variable as
    the last code block that set it left it (a block can start a session of its own)."""
    makers = MEASURED.get(page.file.src_uri, {})
    sessions = [space for _, space in page.meta.get("code_sessions", [])]
    if not makers:
        return {}
    if "code_error" in page.meta:  # `make serve`: the page shows the failure
        return dict.fromkeys(makers, "(not measured: this chapter's code failed)")

    def make() -> dict[str, str]:
        made = {}
        for name, (maker, variables) in makers.items():
            missing = sorted(v for v in variables if not any(v in space for space in sessions))
            if missing:
                names = ", ".join(f"`{variable}`" for variable in missing)
                raise PluginError(f"{page.file.src_uri}: no code block left {names}")
            made[name] = maker({v: last_value(sessions, v) for v in variables})
        return made

    return derived(page, "measured", make)


def last_value(sessions: list[dict], variable: str):
    return next(space[variable] for space in reversed(sessions) if variable in space)


def fill(markdown: str, measured: dict[str, str], where: str) -> str:
    """Replace every `{{ measured.NAME }}`; an unknown name is an error."""

    def value(match: re.Match) -> str:
        if match["name"] not in measured:
            raise PluginError(f"{where}: nothing measured is called {match['name']!r}")
        return measured[match["name"]]

    return PLACEHOLDER.sub(value, markdown)


@event_priority(-50)  # after hooks/execute.py ran the code, before hooks/notebooks.py
def on_page_markdown(markdown: str, page, config, files) -> str:
    page.meta["measured"] = values(page)
    return fill(markdown, page.meta["measured"], page.file.src_uri)
