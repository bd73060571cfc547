"""One worker of a multi-worker run of the low-level model, as a script of its own: start
one copy per worker, each with its index in the same cluster list. On this machine:

    python -m alphabet_tutorial.lowlevel_worker --index 0 &
    python -m alphabet_tutorial.lowlevel_worker --index 1
"""

# --8<-- [start:script]
import argparse

from alphabet_tutorial import Config
from alphabet_tutorial.distribute import checksum, train_lowlevel, worker_strategy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=int, required=True, help="this worker's place in --cluster")
    cluster = "127.0.0.1:23456,127.0.0.1:23457"  # two ports of this machine
    parser.add_argument("--cluster", default=cluster, help="host:port of every worker")
    args = parser.parse_args()

    # Every worker gets the same list; the strategy waits until all of them have started.
    strategy = worker_strategy(args.cluster.split(","), args.index)
    model, history = train_lowlevel(Config(epochs=5), strategy)
    accuracy = history.eval_accuracy[-1]
    print(f"worker {args.index}: accuracy {accuracy:.0%}, weights {checksum(model.get_weights())}")


if __name__ == "__main__":
    main()
# --8<-- [end:script]
