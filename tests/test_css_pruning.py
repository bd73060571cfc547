"""alphabet_site/css_pruning.py: a stylesheet reduced to the rules that could match the pages."""

from __future__ import annotations

from alphabet_site.css_pruning import PageSelectors, prune

PAGE = (
    '<html class="js"><body data-md-color-scheme="default">'
    '<div class="jupyter-wrapper"><pre class="a b">x</pre><p class="n">y</p></div></body></html>'
)
CSS = """
@charset "UTF-8";
.a{color:red}
.a.missing{color:blue}
.missing,.b{margin:0}
.n:not(.missing):hover{color:green}
[data-md-color-scheme=slate] .a{color:white}
[data-md-color-scheme=default] .a{color:black}
.jupyter-wrapper :root{--nowhere:1}
.jupyter-wrapper body{margin:0}
html.js body{padding:0}
.jupyter-wrapper{--used:1px;--via:var(--used);--unread:2px}
.a{padding:var(--via)}
@media screen{.missing{color:red}.b{color:blue}}
@media print{.missing{color:red}}
@keyframes spin{to{opacity:0}}
@keyframes unused{to{opacity:1}}
.b{animation:spin 1s}
.n{cursor:normal}
.b{cursor:normal;color:red}
.a{color:red}
"""


def selectors() -> PageSelectors:
    found = PageSelectors()
    found.add_html(PAGE)
    return found


def test_keeps_the_rules_that_could_match_and_drops_the_others():
    kept = prune(CSS, selectors(), unread=False)
    for rule in (
        ".missing,.b{margin:0}",
        ".n:not(.missing):hover{color:green}",  # states and negations are not judged
        "[data-md-color-scheme=default] .a{color:black}",
        "html.js body{padding:0}",
        "@media screen{.b{color:blue}}",
        "@keyframes unused",  # kept unless asked
        "--unread:2px",
    ):
        assert rule in kept
    for gone in (
        ".a.missing",
        "[data-md-color-scheme=slate]",  # no element has that value
        "--nowhere",  # :root inside an element
        ".jupyter-wrapper body",  # the body inside a notebook's wrapper
        "@media print",
        "@charset",
    ):
        assert gone not in kept
    assert kept.count(".a{color:red}") == 1  # a rule repeated word for word: the last one
    assert kept.endswith(".a{color:red}")


def test_drops_the_declarations_named_invalid():
    kept = prune(CSS, selectors(), unread=False, invalid=frozenset({("cursor", "normal")}))
    assert "cursor:normal" not in kept and ".n{" not in kept  # the rule left empty goes
    assert ".b{color:red}" in kept


def test_with_unread_drops_custom_properties_and_keyframes_nothing_uses():
    kept = prune(CSS, selectors(), unread=True)
    assert "--used:1px" in kept and "--via:var(--used)" in kept  # read through --via
    assert "--unread" not in kept
    assert "@keyframes spin" in kept and "@keyframes unused" not in kept
