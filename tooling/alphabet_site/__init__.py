"""The tooling that builds and checks the tutorial's site; never shipped to readers.

- `plugin`: the MkDocs plugin (`plugins: [alphabet-site]` in mkdocs.yml) that runs the
  modules of `hooks/`, one job each: run the chapters' code once, make the notebooks,
  place the screenshots and the widget, size the images, prune the CSS, fill in the facts.
- helpers of the hooks: `fences` (a chapter's fences, read as pytest-codeblocks reads
  them), `terminal`, `css_pruning`, `install_cell`, `gpu_figures`, `widget_export`.
- `screenshots/`: the TensorBoard screenshots, from real runs in a real browser
  (`alphabet-site screenshots`, run by `make screenshots`).
- `audit`: Lighthouse and the Nu validator on the built site (`make audit`).

It imports the companion package, `alphabet_tutorial`; the package never imports it.
"""
