"""The `alphabet-tutorial` command: train, evaluate, predict, compare, TensorBoard.

Bad input ends with exit status 2 and one line that names the problem; anything else
that goes wrong is a bug and shows its traceback. TensorFlow is imported only by the
subcommands that need it, so usage errors answer at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alphabet_tutorial import Config, __version__, env, impls, stopping
from alphabet_tutorial.backends import BACKENDS  # names only: no backend is imported
from alphabet_tutorial.history import Diverged
from alphabet_tutorial.task import NUM_LETTERS

PROG = "alphabet-tutorial"
DEFAULT_IMPL = "keras"


class UsageError(Exception):
    """Bad command-line input: reported in one line with exit status 2."""


class Fault(Exception):
    """Something outside the user's input failed (a full disk, a program that would not
    start): reported in one line with exit status 1."""


def stop(signum, frame):
    for number in stopping.STOP_SIGNALS:  # a second signal must not cut the clean-up short
        signal.signal(number, signal.SIG_IGN)
    logging.getLogger("asyncio").disabled = True  # Playwright's abandoned futures
    stopping.stop(signum)


class Parser(argparse.ArgumentParser):
    def parse_known_args(self, args=None, namespace=None):
        self.words = sys.argv[1:] if args is None else list(args)  # for error()
        return super().parse_known_args(args, namespace)

    def error(self, message):  # one line instead of usage + message
        dashed = [
            word
            for word in getattr(self, "words", [])
            if word.startswith("-") and word != "--" and word not in self._option_string_actions
        ]
        if "TEXT" in message and dashed:
            message += f"; a TEXT that starts with a dash goes after --: {self.prog} -- {dashed[0]}"
        raise UsageError(message)


@contextmanager
def user_input() -> Iterator[None]:
    """A ValueError raised while checking what the user gave is a usage error."""
    try:
        yield
    except ValueError as error:
        raise UsageError(str(error)) from None


# --- the config options, derived from the Config dataclass ---------------------------

CONFIG_FIELDS = dataclasses.fields(Config)
CONFIG_TYPES = typing.get_type_hints(Config)


def config_comments() -> dict[str, str]:
    """Each Config field's trailing comment in its source: the option's help text."""
    source = inspect.getsource(Config)
    return dict(re.findall(r"^\s+(\w+): [\w|. ]+ = [^#\n]+#\s*(.+)$", source, re.M))


def add_config_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("config (defaults from alphabet_tutorial.Config)")
    comments = config_comments()
    for field in CONFIG_FIELDS:
        option, kind = f"--{field.name.replace('_', '-')}", CONFIG_TYPES[field.name]
        text = f"{comments.get(field.name, field.name)} (default {field.default})"
        if kind is bool:
            group.add_argument(option, action="store_true", default=None, help=text)
        else:
            metavar = "N" if kind is int else "X"
            group.add_argument(option, type=kind, metavar=metavar, help=text)


def given_config_options(args) -> list[str]:
    return [field.name for field in CONFIG_FIELDS if getattr(args, field.name, None) is not None]


def config_from(args) -> Config:
    """The config of the options, refused at once if training it would not fit in memory."""
    from alphabet_tutorial.machine import check_fits_memory

    with user_input():
        config = Config(**{name: getattr(args, name) for name in given_config_options(args)})
        check_fits_memory(config)
    return config


def top_count(text: str) -> int:
    """--top: how many candidate letters to show, 1 to 26."""
    try:
        top = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"top must be an integer, got {text!r}") from None
    if not 1 <= top <= NUM_LETTERS:
        raise argparse.ArgumentTypeError(f"top must be from 1 to {NUM_LETTERS}, got {top}")
    return top


def port_number(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError(text)
    return port


port_number.__name__ = "port (0 to 65535)"  # argparse names the type in its message


def repeat_count(text: str) -> int:
    """--repeats: training runs per implementation in `compare`, at least 1."""
    try:
        repeats = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"repeats must be an integer, got {text!r}") from None
    if repeats < 1:
        raise argparse.ArgumentTypeError(f"repeats must be at least 1, got {repeats}")
    return repeats


def backend_list(text: str) -> list[str]:
    """--backends: comma-separated Keras backends, each named once."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKENDS] or ([] if names else [text])
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown backend {unknown[0]!r}: choose from {', '.join(BACKENDS)}"
        )
    return list(dict.fromkeys(names))


def in_backend_process(args) -> int | None:
    """Rerun this command in a fresh process whose Keras runs on --backend (its exit status).

    None when this process already is that process: KERAS_BACKEND names the backend.
    """
    if args.backend is not None and args.backend not in impls.get(args.impl).backends:
        runs_on = " and ".join(impls.get(args.impl).backends)
        raise UsageError(f"--backend {args.backend}: the {args.impl} model runs on {runs_on} only")
    if args.backend is None or os.environ.get("KERAS_BACKEND") == args.backend:
        return None
    from alphabet_tutorial.backends import backend_env, check_backend
    from alphabet_tutorial.processes import run

    with user_input():
        check_backend(args.backend)
    return run([sys.executable, "-m", "alphabet_tutorial", *args.argv], backend_env(args.backend))


# --- the model a command works with: loaded from a file, or trained now -------------


def train_impl(impl: str, config: Config, logdir=None):
    """Train with a progress bar on stderr; returns (model, history)."""
    from alphabet_tutorial.progress import ProgressBar

    with ProgressBar(config.epochs, impl) as progress:
        return impls.get(impl).train(config, logdir=logdir, progress=progress)


def chosen_config(args) -> tuple[Config, list | None, str]:
    """(config, weights, implementation) from --load, or from the options (no weights)."""
    if args.load is None:
        return config_from(args), None, args.impl or DEFAULT_IMPL
    given = given_config_options(args)
    if given:
        option = "--" + given[0].replace("_", "-")
        raise UsageError(
            f"{option} cannot be combined with --load: the config comes from the weights file"
        )
    from alphabet_tutorial.weights import load_weights

    with user_input():
        config, weights, impl = load_weights(args.load)
        impls.get(impl)
    if args.impl not in (None, impl):
        raise UsageError(
            f"--impl {args.impl} contradicts --load {str(args.load)!r}, which holds {impl} "
            "weights: the implementation comes from the weights file"
        )
    return config, weights, impl


def ready_model(config: Config, weights, impl: str):
    """The model holding `weights`, or, without weights, one trained from `config` now."""
    if weights is None:
        return train_impl(impl, config)[0]
    with user_input():  # the arrays of a weights file must fit its config
        return impls.get(impl).from_weights(config, weights)


# --- the commands --------------------------------------------------------------------


def check_scaling(args) -> None:
    """Refuse a data-parallel request that cannot run, before any work."""
    from alphabet_tutorial.machine import device_type, nvidia_gpus

    chosen = [f"--{n}" for n in ("devices", "workers", "cluster") if getattr(args, n) is not None]
    if len(chosen) > 1:
        raise UsageError(f"{chosen[0]} and {chosen[1]} cannot be combined")
    for name in ("devices", "workers"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise UsageError(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.devices is not None:  # before TensorFlow starts
        with user_input():
            device_type(args.devices, nvidia_gpus())
    if (args.cluster is None) != (args.worker_index is None):
        raise UsageError("--cluster and --worker-index go together")
    if chosen and args.logdir:
        raise UsageError(f"--logdir cannot be combined with {chosen[0]}")
    backend = args.backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    if chosen and backend != "tensorflow":
        raise UsageError(
            f"{chosen[0]} uses tf.distribute: Keras must run on tensorflow, not {backend}"
        )
    if args.impl == "keras" and (args.workers or args.cluster):
        raise UsageError(
            "Keras's fit does not run under MultiWorkerMirroredStrategy "
            "(keras-team/keras#20585): use --impl lowlevel, or --devices"
        )
    if args.cluster is not None:
        from alphabet_tutorial.processes import check_port_free
        from alphabet_tutorial.scaleout import check_cluster

        cluster = args.cluster.split(",")
        with user_input():
            check_cluster(cluster)
            if not 0 <= args.worker_index < len(cluster):
                raise ValueError(f"--worker-index must be in 0..{len(cluster) - 1}")
            host, _, port = cluster[args.worker_index].rpartition(":")
            if host in ("127.0.0.1", "localhost"):
                check_port_free(host, int(port))


def train_replicated(args, config: Config):
    """--devices N or --cluster ... --worker-index I: (model, history, where it ran)."""
    from alphabet_tutorial import distribute
    from alphabet_tutorial.progress import ProgressBar

    if args.cluster is not None:
        strategy = distribute.worker_strategy(args.cluster.split(","), args.worker_index)
        where = f" (worker {args.worker_index} of {strategy.num_replicas_in_sync})"
    else:
        import tensorflow as tf

        with user_input():
            devices = distribute.use_devices(args.devices)
        strategy = tf.distribute.MirroredStrategy(devices)
        where = f" (on {args.devices} devices)"
    train = distribute.train_lowlevel if args.impl == "lowlevel" else distribute.train_keras
    with ProgressBar(config.epochs, args.impl) as progress:
        model, history = train(config, strategy, progress=progress)
    return model, history, where


def run_workers(args, config: Config) -> None:
    """--workers N: N local workers, their logs prefixed; any failure stops them all."""
    from alphabet_tutorial.scaleout import launch_workers

    try:
        results = launch_workers(config, args.workers, log=sys.stderr, save=args.save)
    except RuntimeError as error:  # a worker failed, or loopback is down: one line
        raise Fault(str(error)) from None
    checksums = {run["checksum"] for run in results}
    if len(checksums) != 1:
        raise Fault(f"the workers ended with different weights: {sorted(checksums)}")
    first = results[0]
    print(
        f"lowlevel (on {args.workers} workers): {first['accuracy']:.1%} of every window right "
        f"after {config.epochs} epochs (first 100% at epoch {first['epochs_to_100'] or 'never'}); "
        f"every worker holds the same weights (checksum {first['checksum']})"
    )
    if args.save:
        print(f"weights saved to {args.save}")


def check_summary_writer() -> None:
    """ValueError when TensorBoard logs cannot be written: on every backend, they are
    written with TensorFlow's summary writer (JAX and PyTorch alone can train, not log)."""
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        raise ValueError(
            "--logdir: TensorBoard logs are written with TensorFlow, which is not installed "
            "(pip install tensorflow, or train without --logdir)"
        ) from None


def run_train(args) -> int | None:
    from alphabet_tutorial.output_paths import check_output_dir, check_output_file

    check_scaling(args)
    status = in_backend_process(args)
    if status is not None:
        return status
    config = config_from(args)
    logdir = args.logdir / args.impl if args.logdir else None
    with user_input():  # every output is checked before training, not after
        if logdir:
            check_output_dir(logdir, "log directory")
            check_summary_writer()
        if args.save:
            check_output_file(args.save, "weights file", suffix=".npz")
    if args.workers is not None:
        run_workers(args, config)
        return None
    if args.devices is not None or args.cluster is not None:
        model, history, where = train_replicated(args, config)
    else:
        model, history = train_impl(args.impl, config, logdir)
        where = ""
    print(
        f"{args.impl}{where}: {history.eval_accuracy[-1]:.1%} of every window right after "
        f"{config.epochs} epochs (first 100% at epoch {history.epochs_to_100 or 'never'}), "
        f"{history.train_seconds:.1f} s of training"
    )
    if logdir:
        print(f"TensorBoard logs: {logdir}")
        if len(impls.get(args.impl).backends) > 1:  # a Keras model: maybe no op graph
            from alphabet_tutorial.keras_model import op_graph_note

            if op_graph_note():
                print(f"note: {op_graph_note()}")
    if args.save:
        from alphabet_tutorial.weights import save_weights

        with user_input():
            path = save_weights(args.save, model.get_weights(), config, args.impl)
        print(f"weights saved to {path}")
    return None


def run_evaluate(args) -> None:
    from alphabet_tutorial.evaluation import score
    from alphabet_tutorial.task import windows

    config, weights, impl = chosen_config(args)
    loss, accuracy = score(ready_model(config, weights, impl), config)
    count = len(windows(config.window, config.wrap))
    print(f"accuracy on all {count} windows: {accuracy:.1%}  (loss {loss:.4f})")


def run_predict(args) -> None:
    from alphabet_tutorial.evaluation import predict_next
    from alphabet_tutorial.task import encode_prompt, windows

    config, weights, impl = chosen_config(args)
    with user_input():  # bad text fails before any training
        encode_prompt(args.text, config.window)
    candidates = predict_next(ready_model(config, weights, impl), args.text, config, args.top)
    prompt = args.text.lower()[-config.window :]
    if prompt not in {text for text, _ in windows(config.window, config.wrap)}:
        print(
            f"note: {prompt!r} is not a window of the task; the model never saw it", file=sys.stderr
        )
    print(f"{args.text} -> {candidates[0][0]}")
    for letter, probability in candidates:
        print(f"  {letter}  {probability:7.2%}")


def run_compare(args) -> None:
    if args.backends:
        return run_compare_backends(args)
    from alphabet_tutorial.compare import compare, format_method, format_summary, format_table

    result = compare(config_from(args), repeats=args.repeats)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print("\n\n".join([format_table(result), format_summary(result), format_method(result)]))


def run_compare_backends(args) -> None:
    from alphabet_tutorial.backends import (
        check_backend,
        check_comparable,
        compare_backends,
        format_backend_table,
    )

    config = config_from(args)
    with user_input():  # every backend installed, before any process starts
        check_comparable(config)
        for backend in args.backends:
            check_backend(backend)
    from alphabet_tutorial.processes import ChildFailed

    try:
        runs = compare_backends(args.backends, config)
    except ChildFailed as error:  # a backend's process failed: its last line says why
        raise Fault(str(error)) from None
    if args.json:
        print(json.dumps([dataclasses.asdict(run) for run in runs], indent=2))
    else:
        print(format_backend_table(runs))


def run_tensorboard(args) -> None:
    if not args.logdir.exists():
        raise UsageError(f"log directory {str(args.logdir)!r} does not exist")
    if not args.logdir.is_dir():
        raise UsageError(f"log directory {str(args.logdir)!r} is a file, not a directory")
    from alphabet_tutorial.tensorboard import TensorBoardServer

    try:
        with TensorBoardServer(args.logdir, port=args.port or None) as server:
            if args.port and server.port != args.port:  # said before the address line,
                print(  # so a reader of that line has both
                    f"note: port {args.port} is taken, so TensorBoard uses {server.port}",
                    file=sys.stderr,
                    flush=True,
                )
            print(
                f"TensorBoard at {server.url} (process {server.pid}); Ctrl-C stops it", flush=True
            )
            while True:
                time.sleep(3600)
    except RuntimeError as error:  # it would not start; its own reason leads the message
        raise Fault(str(error)) from None


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Learn the alphabet with low-level TensorFlow "
        "and with Keras, and compare the two.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    train = commands.add_parser("train", help="train one implementation")
    train.set_defaults(func=run_train)
    train.add_argument("--impl", choices=impls.NAMES, default=DEFAULT_IMPL)
    train.add_argument(
        "--backend",
        choices=BACKENDS,
        help="the Keras backend, in a fresh process (default: KERAS_BACKEND or tensorflow)",
    )
    train.add_argument("--logdir", type=Path, help="write TensorBoard logs to LOGDIR/IMPL")
    train.add_argument("--save", type=Path, metavar="FILE.npz", help="save the weights")
    scale = train.add_argument_group("data parallelism (the chapter 'Beyond one machine')")
    scale.add_argument("--devices", type=int, metavar="N", help="replicate over N devices")
    scale.add_argument("--workers", type=int, metavar="N", help="N local worker processes")
    scale.add_argument("--cluster", metavar="HOST:PORT,...", help="every worker of a cluster")
    scale.add_argument("--worker-index", type=int, metavar="I", help="this worker in --cluster")
    add_config_options(train)

    evaluate = commands.add_parser("evaluate", help="accuracy and loss on every window")
    evaluate.set_defaults(func=run_evaluate)
    predict = commands.add_parser("predict", help="the most likely next letters of TEXT")
    predict.set_defaults(func=run_predict)
    predict.add_argument("text", metavar="TEXT", help="letters, e.g. abc")
    predict.add_argument("--top", type=top_count, default=3, help="candidates to show")
    for command in (evaluate, predict):
        command.add_argument(
            "--impl",
            choices=impls.NAMES,
            help=f"implementation to train when no --load is given (default {DEFAULT_IMPL})",
        )
        command.add_argument(
            "--load",
            type=Path,
            metavar="FILE.npz",
            help="weights saved by `train --save` (otherwise train first)",
        )
        add_config_options(command)

    compare = commands.add_parser("compare", help="train both and compare them")
    compare.set_defaults(func=run_compare)
    compare.add_argument("--json", action="store_true", help="print JSON instead of a table")
    compare.add_argument(
        "--repeats", type=repeat_count, default=5, help="runs per implementation, one seed each"
    )
    compare.add_argument(
        "--backends",
        type=backend_list,
        metavar="NAME,...",
        help=f"compare the Keras model on these backends ({','.join(BACKENDS)}) instead",
    )
    add_config_options(compare)

    board = commands.add_parser("tensorboard", help="serve TensorBoard on 127.0.0.1")
    board.set_defaults(func=run_tensorboard)
    board.add_argument("--logdir", type=Path, required=True)
    board.add_argument("--port", type=port_number, default=0, help="default: a free port")

    return parser


def fail(prog: str, message: str, status: int) -> int:
    """Print the first line of `message` as the command's one error line."""
    print(f"{prog}: error: {message.strip().splitlines()[0]}", file=sys.stderr)
    return status


def main(argv=None, parser: Parser | None = None) -> int:
    """Run one command of `parser` (this command's by default; the site tooling passes
    its own); SIGINT, SIGTERM and SIGHUP stop it cleanly with one line."""
    parser = parser or build_parser()
    env.setup()
    stopping.received.clear()  # a signal that stopped an earlier call in this process
    main_thread = threading.current_thread() is threading.main_thread()
    previous = {
        number: signal.signal(number, stop) for number in stopping.STOP_SIGNALS if main_thread
    }
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = parser.parse_args(argv)
        args.argv = argv  # for a rerun in a fresh process (train --backend)
        try:
            status = args.func(args)
        except Exception:
            stopping.check()  # a failure that follows a swallowed stop signal is that stop
            raise
    except UsageError as error:
        return fail(parser.prog, str(error) or "bad input", 2)
    except Diverged as error:  # the config cannot train: the user's to change, like bad input
        return fail(parser.prog, str(error), 2)
    except Fault as error:
        return fail(parser.prog, str(error), 1)
    except OSError as error:  # a full disk (status 1), or a path that went bad meanwhile
        from alphabet_tutorial.output_paths import describe, is_machine_fault

        return fail(parser.prog, describe(error), 1 if is_machine_fault(error) else 2)
    except Exception as error:
        tf = sys.modules.get("tensorflow")
        if tf is None or not isinstance(error, tf.errors.OpError):
            raise
        from alphabet_tutorial.output_paths import describe_op_error

        full = error.error_code == tf.errors.RESOURCE_EXHAUSTED or "No space left" in error.message
        return fail(parser.prog, describe_op_error(error.message), 1 if full else 2)
    except KeyboardInterrupt as stopped:
        number = stopped.args[0] if isinstance(stopped, stopping.Stopped) else signal.SIGINT
        print(f"{parser.prog}: stopped by {signal.Signals(number).name}", file=sys.stderr)
        return 128 + number
    finally:
        for number, before in previous.items():
            signal.signal(number, before)
    return status or 0
