"""Every page of the built site within its weight budget, for a first visit.

What a cold load downloads is read from the built files (tests/page_weight.py); the
browser tests check in Chromium that it is exactly what a cold load requests.
"""

from __future__ import annotations

from pathlib import Path

from page_weight import cold_load, html_pages

# Uncompressed bytes. A notebook page's document (the executed notebook, as HTML) and any
# page's whole first visit: the document, Material's stylesheets and scripts, its search
# worker, everything else it loads before the reader scrolls or searches.
NOTEBOOK_DOCUMENT_BYTES = 300_000
FIRST_VISIT_BYTES = 500_000


def test_every_page_within_its_first_visit_budget(built_site: Path):
    pages = html_pages(built_site)
    assert any(page.startswith("notebooks/") for page in pages), "no notebook page was built"
    problems = []
    for page in pages:
        files = cold_load(built_site, page)
        problems += [
            f"{page}: loads {name}, which the site does not have"
            for name, size in files.items()
            if size < 0
        ]
        total = sum(files.values())
        if total > FIRST_VISIT_BYTES:
            heaviest = sorted(files.items(), key=lambda item: -item[1])[:5]
            problems.append(
                f"{page}: a first visit loads {total:,} bytes, over {FIRST_VISIT_BYTES:,} "
                f"(heaviest: {', '.join(f'{name} {size:,}' for name, size in heaviest)})"
            )
        if page.startswith("notebooks/") and files[page] > NOTEBOOK_DOCUMENT_BYTES:
            problems.append(
                f"{page}: the page is {files[page]:,} bytes, over {NOTEBOOK_DOCUMENT_BYTES:,}"
            )
    assert not problems, "pages over their weight budget:\n  " + "\n  ".join(problems)


def test_the_weight_model_counts_what_a_page_links(tmp_path: Path):
    """The model on a small made-up site: linked files, eager images (the largest
    candidate), Material's sitemap; its search worker and index only without the on-demand
    script; lazy images never."""
    files = {
        "a.css": 10,
        "b.js": 20,
        "w.js": 30,
        "big.png": 40,
        "small.png": 5,
        "lazy.png": 50,
        "sitemap.xml": 6,
        "search/search_index.json": 70,
    }
    for name, size in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * size)
    config = '{"base": "..", "features": ["navigation.instant"], "search": "../w.js"}'
    page = (
        '<html><head><link rel="stylesheet" href="../a.css"><link rel="canonical" href="x">'
        '</head><body><form name="search"></form><img src="../small.png" '
        'srcset="../small.png 1x, ../big.png 2x"><img src="../lazy.png" loading="lazy">'
        f'<script id="__config" type="application/json">{config}</script>'
        '<script src="../b.js"></script>{}</body></html>'
    )
    (tmp_path / "p").mkdir()
    (tmp_path / "p/index.html").write_text(page.replace("{}", ""))
    expected = {"p/index.html": len(page.replace("{}", ""))} | {
        name: files[name]
        for name in ("a.css", "b.js", "w.js", "big.png", "sitemap.xml", "search/search_index.json")
    }
    assert cold_load(tmp_path, "p/index.html") == expected
    deferred = page.replace("{}", '<script id="search-on-demand"></script>')
    (tmp_path / "p/index.html").write_text(deferred)
    del expected["search/search_index.json"], expected["w.js"]
    assert cold_load(tmp_path, "p/index.html") == expected | {"p/index.html": len(deferred)}
