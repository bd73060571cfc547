"""The `alphabet-tutorial` command: train, evaluate, predict, compare, TensorBoard.

Bad input ends with exit status 2 and one line that names the problem. TensorFlow is
imported only by the subcommands that need it, so usage errors answer at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from alphabet_tutorial import Config, __version__, env, impls

PROG = "alphabet-tutorial"
CONFIG_OPTIONS = {  # option -> (type, help)
    "window": (int, "letters read before predicting the next one"),
    "units": (int, "size of the LSTM state"),
    "epochs": (int, "passes over the training set"),
    "batch_size": (int, "windows per gradient step"),
    "learning_rate": (float, "Adam's step size"),
    "train_size": (int, "windows drawn for training"),
    "seed": (int, "seeds weights, data and shuffling"),
}


class UsageError(Exception):
    """Bad command-line input: reported in one line with exit status 2."""


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so every `with` block cleans up."""


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def stop(signum, frame):
    for number in STOP_SIGNALS:  # a second signal must not cut the clean-up short
        signal.signal(number, signal.SIG_IGN)
    logging.getLogger("asyncio").disabled = True  # Playwright's abandoned futures
    raise Stopped(signum)


def port_number(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError(text)
    return port


port_number.__name__ = "port (0 to 65535)"  # argparse names the type in its message


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        raise UsageError(message)


def add_config_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("config (defaults from alphabet_tutorial.Config)")
    defaults = Config()
    for name, (kind, text) in CONFIG_OPTIONS.items():
        group.add_argument(
            f"--{name.replace('_', '-')}",
            type=kind,
            metavar="N" if kind is int else "X",
            help=f"{text} (default {getattr(defaults, name)})",
        )
    group.add_argument(
        "--wrap", action="store_true", default=None, help="z is followed by a (default: no wrap)"
    )


def config_from(args) -> Config:
    changes = {
        name: getattr(args, name)
        for name in [*CONFIG_OPTIONS, "wrap"]
        if getattr(args, name, None) is not None
    }
    return Config(**changes)


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Learn the alphabet with low-level TensorFlow "
        "and with Keras, and compare the two.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    train = commands.add_parser("train", help="train one implementation")
    train.add_argument("--impl", choices=impls.NAMES, default="keras")
    train.add_argument("--logdir", type=Path, help="write TensorBoard logs to LOGDIR/IMPL")
    train.add_argument("--save", type=Path, metavar="FILE.npz", help="save the weights")
    add_config_options(train)

    for name, text in (
        ("evaluate", "accuracy and loss on every window"),
        ("predict", "the most likely next letters of TEXT"),
    ):
        command = commands.add_parser(name, help=text)
        if name == "predict":
            command.add_argument("text", metavar="TEXT", help="letters, e.g. abc")
            command.add_argument("--top", type=int, default=3, help="candidates to show")
        command.add_argument(
            "--impl",
            choices=impls.NAMES,
            default="keras",
            help="implementation to train when no --load is given",
        )
        command.add_argument(
            "--load",
            type=Path,
            metavar="FILE.npz",
            help="weights saved by `train --save` (otherwise train first)",
        )
        add_config_options(command)

    compare = commands.add_parser("compare", help="train both and compare them")
    compare.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_config_options(compare)

    board = commands.add_parser("tensorboard", help="serve TensorBoard on 127.0.0.1")
    board.add_argument("--logdir", type=Path, required=True)
    board.add_argument("--port", type=port_number, default=0, help="default: a free port")

    shots = commands.add_parser("screenshots", help="capture TensorBoard screenshots")
    shots.add_argument("--out", type=Path, required=True, help="directory to (re)create")
    add_config_options(shots)
    return parser


def train_impl(impl: str, config: Config, logdir=None):
    """Train with a progress bar on stderr; returns (model, history)."""
    from alphabet_tutorial.progress import ProgressBar

    progress = ProgressBar(config.epochs, impl)
    return impls.get(impl).train(config, logdir=logdir, progress=progress)


def load_model(args):
    """(model, config) from --load, or freshly trained from the config options."""
    if args.load is None:
        config = config_from(args)
        return train_impl(args.impl, config)[0], config
    given = [name for name in [*CONFIG_OPTIONS, "wrap"] if getattr(args, name) is not None]
    if given:
        option = "--" + given[0].replace("_", "-")
        raise UsageError(
            f"{option} cannot be combined with --load: the config comes from the weights file"
        )
    from alphabet_tutorial.weights import load_weights

    config, weights, impl = load_weights(args.load)
    return impls.get(impl).from_weights(config, weights), config


def run_train(args) -> None:
    config = config_from(args)
    logdir = args.logdir / args.impl if args.logdir else None
    model, history = train_impl(args.impl, config, logdir)
    print(
        f"{args.impl}: {history.eval_accuracy[-1]:.1%} of every window right after "
        f"{config.epochs} epochs (first 100 % at epoch {history.epochs_to_100 or 'never'}), "
        f"{history.train_seconds:.1f} s of training"
    )
    if logdir:
        print(f"TensorBoard logs: {logdir}")
    if args.save:
        from alphabet_tutorial.weights import save_weights

        print(f"weights saved to {save_weights(args.save, model.get_weights(), config, args.impl)}")


def run_evaluate(args) -> None:
    from alphabet_tutorial.evaluation import score
    from alphabet_tutorial.task import windows

    model, config = load_model(args)
    loss, accuracy = score(model, config)
    count = len(windows(config.window, config.wrap))
    print(f"accuracy on all {count} windows: {accuracy:.1%}  (loss {loss:.4f})")


def run_predict(args) -> None:
    from alphabet_tutorial.evaluation import predict_next
    from alphabet_tutorial.task import encode_prompt, top_letters, windows

    if args.load is None:  # reject bad text or --top before any training
        encode_prompt(args.text, config_from(args).window)
    top_letters([0.0] * 26, args.top)

    model, config = load_model(args)
    candidates = predict_next(model, args.text, config, top=args.top)
    prompt = args.text.lower()[-config.window :]
    if prompt not in {text for text, _ in windows(config.window, config.wrap)}:
        print(
            f"note: {prompt!r} is not a window of the task; the model never saw it", file=sys.stderr
        )
    print(f"{args.text} -> {candidates[0][0]}")
    for letter, probability in candidates:
        print(f"  {letter}  {probability:7.2%}")


def run_compare(args) -> None:
    from alphabet_tutorial.compare import compare, format_table

    measurements = compare(config_from(args))
    if args.json:
        print(json.dumps([dataclasses.asdict(m) for m in measurements], indent=2))
    else:
        print(format_table(measurements))


def run_tensorboard(args) -> None:
    if not args.logdir.exists():
        raise ValueError(f"log directory {str(args.logdir)!r} does not exist")
    if not args.logdir.is_dir():
        raise ValueError(f"log directory {str(args.logdir)!r} is a file, not a directory")
    from alphabet_tutorial.tensorboard import TensorBoardServer

    with TensorBoardServer(args.logdir, port=args.port or None) as server:
        print(f"TensorBoard at {server.url} (process {server.pid}); Ctrl-C stops it", flush=True)
        if args.port and server.port != args.port:
            print(
                f"note: port {args.port} is taken, so TensorBoard uses {server.port}",
                file=sys.stderr,
            )
        while True:
            time.sleep(3600)


def run_screenshots(args) -> None:
    from alphabet_tutorial.screenshots import capture

    manifest = capture(args.out, config_from(args))
    for image in manifest["images"]:
        print(args.out / image["file"])


def main(argv=None) -> int:
    """Run one command; SIGINT, SIGTERM and SIGHUP stop it cleanly with one line."""
    env.setup()
    main_thread = threading.current_thread() is threading.main_thread()
    previous = {number: signal.signal(number, stop) for number in STOP_SIGNALS if main_thread}
    try:
        args = build_parser().parse_args(argv)
        handler = globals()[f"run_{args.command}"]
        handler(args)
    except (UsageError, ValueError, RuntimeError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stopped:
        number = stopped.args[0] if isinstance(stopped, Stopped) else signal.SIGINT
        print(f"{PROG}: stopped by {signal.Signals(number).name}", file=sys.stderr)
        return 128 + number
    finally:
        for number, before in previous.items():
            signal.signal(number, before)
    return 0
