"""The `alphabet-site` command: the site's own jobs, with the package's one-line errors.

`alphabet-site screenshots --out DIR` retrains both models and captures the TensorBoard
screenshots into DIR (`make screenshots`). Bad input exits with status 2 and one line, a
stop signal stops it cleanly, as with `alphabet-tutorial` (whose `main` runs it).
"""

from __future__ import annotations

from pathlib import Path

from alphabet_tutorial import cli
from alphabet_tutorial.cli import Parser, UsageError, add_config_options, config_from, user_input

PROG = "alphabet-site"


def run_screenshots(args) -> None:
    from alphabet_tutorial.output_paths import check_output_file

    config = config_from(args)
    try:  # the optional dependencies, before a minute of training
        import PIL  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        raise UsageError(
            f"screenshots need the package {(error.name or '').split('.')[0]!r}: "
            "pip install -e tooling (and Chromium: apt-get install chromium)"
        ) from None
    from alphabet_site.screenshots.browser import find_chromium
    from alphabet_site.screenshots.capture import NotACapture, capture, check_replaceable

    with user_input():
        check_output_file(args.out, "screenshots directory", directory=True)
        check_replaceable(args.out)
    try:
        find_chromium()
    except RuntimeError as error:  # a missing browser is the user's to install
        raise UsageError(str(error)) from None
    try:
        manifest = capture(args.out, config)
    except NotACapture as error:  # a file of the user's came into --out meanwhile: kept
        raise UsageError(str(error)) from None
    for image in manifest["images"]:
        print(args.out / image["file"])


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description="Build and check the tutorial's site.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    shots = commands.add_parser("screenshots", help="capture TensorBoard screenshots")
    shots.set_defaults(func=run_screenshots)
    shots.add_argument("--out", type=Path, required=True, help="directory to (re)create")
    add_config_options(shots)
    return parser


def main(argv=None) -> int:
    return cli.main(argv, parser=build_parser())
