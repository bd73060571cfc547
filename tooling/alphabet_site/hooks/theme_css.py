"""Material's stylesheets reduced to the rules this site's pages could use.

Every page loads Material's `main.<hash>.min.css` (about 138 KB) and `palette.<hash>.min.css`
(12 KB) before it renders. Much of them styles what this site does not use (blog, tags,
cards, annotations, social links, versions, consent, the palette's 20 named colours...).
After the build this hook rewrites their copies in the built site with only the rules
whose classes, attributes and attribute values occur on a built page or in one of the
site's scripts (Material's own script builds the search results, tooltips and
copy buttons from literal class names, so those stay). Custom properties and @keyframes
are kept as they are: Material's script and the palette may use any of them. Each file
gets a new name (a hash of the new content) and the pages link that. See
hooks/css_pruning.py for what "could match" means.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from alphabet_site.css_pruning import PageSelectors, prune

WORDS = re.compile(r"[A-Za-z_][\w-]*")
CHARSET = '@charset "UTF-8";'  # the file holds non-ASCII text; served without a charset


def on_post_build(config) -> None:
    site = Path(config["site_dir"])
    pages = {page: page.read_text(encoding="utf-8") for page in site.rglob("*.html")}
    selectors_used = PageSelectors()
    for html in pages.values():
        selectors_used.add_html(html)
    for script in site.rglob("*.js"):
        words = set(WORDS.findall(script.read_text(encoding="utf-8")))
        selectors_used.classes |= words
        selectors_used.attributes |= words
        selectors_used.values |= words
    renamed = {}
    for stylesheet in site.glob("assets/stylesheets/*.min.css"):
        css = stylesheet.read_text(encoding="utf-8")
        pruned = prune(css, selectors_used, unread=False)
        if css.startswith(CHARSET):
            pruned = CHARSET + pruned
        pruned += "\n"
        # A new name for new content (Material's names carry a hash of theirs), so a
        # browser never pairs a page with a copy cached from another build.
        stem = stylesheet.name.split(".")[0]
        digest = hashlib.sha256(pruned.encode()).hexdigest()[:8]
        target = stylesheet.with_name(f"{stem}.{digest}.min.css")
        target.write_text(pruned, encoding="utf-8")
        if target != stylesheet:
            stylesheet.unlink()
            stylesheet.with_name(stylesheet.name + ".map").unlink(missing_ok=True)
            renamed[stylesheet.name] = target.name
    for page, html in pages.items():
        new = html
        for old, name in renamed.items():
            new = new.replace(f"assets/stylesheets/{old}", f"assets/stylesheets/{name}")
        if new != html:
            page.write_text(new, encoding="utf-8")
