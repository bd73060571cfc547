"""The comparison: lines of code under one rule, and the measurements, table and summary."""

import re
from pathlib import Path

import pytest

from alphabet_tutorial import Config, compare, impls, sources
from alphabet_tutorial.compare import Comparison, Run
from alphabet_tutorial.knobs import time_knobs

DOCS = Path(__file__).resolve().parent.parent / "docs"
CONCLUSIONS = DOCS / "conclusions.md"


def test_code_lines_leave_out_blank_lines_comments_and_docstrings():
    source = '''def f(x):
    """A docstring
    over two lines."""
    # a comment

    return (x +
            1)  # trailing comment
'''
    assert sources.code_lines(source) == 3  # def, and the two lines of the return


def test_lines_of_code_follow_the_snippet_sections_of_the_source():
    for impl in impls.IMPLS.values():
        source = (sources.PACKAGE / impl.filename).read_text()
        expected = sum(sources.code_lines(sources.section(source, s)) for s in impl.sections)
        assert compare.lines_of_code(impl.name) == expected > 10


def test_both_sides_count_their_monitoring_and_tensorboard_logging():
    """The rule: logging and reporting are counted on both sides."""
    assert "logging" in impls.get("lowlevel").sections
    assert {"monitor", "graph"} <= set(impls.get("keras").sections)
    assert compare.lines_of_code("lowlevel") > 1.5 * compare.lines_of_code("keras")


def test_every_counted_section_is_shown_on_one_chapter_that_the_conclusions_link_to():
    """The conclusions count these sections and link to where each is explained: every one
    is shown in full on exactly one chapter, none on the conclusions themselves. No listing
    is shown twice: a later page links back to it."""
    shown: dict[tuple[str, str], list[str]] = {}
    for chapter in sorted(DOCS.glob("*.md")):
        for pair in re.findall(
            r'--8<-- "alphabet_tutorial/(\w+\.py):([\w-]+)"', chapter.read_text()
        ):
            shown.setdefault(pair, []).append(chapter.name)
    repeated = {pair: pages for pair, pages in shown.items() if len(pages) > 1}
    assert not repeated, f"listings shown more than once (link back instead): {repeated}"
    linked = set(re.findall(r"\]\(([\w-]+\.md)#", CONCLUSIONS.read_text()))
    for impl in impls.IMPLS.values():
        for name in impl.sections:
            pages = shown.get((impl.filename, name), [])
            assert len(pages) == 1 and pages[0] in linked, (impl.filename, name, pages)


def test_missing_section_unknown_implementation_and_bad_repeats_are_value_errors():
    with pytest.raises(ValueError, match="'nowhere'"):
        sources.section("x = 1\n", "nowhere")
    with pytest.raises(ValueError, match="'theano'"):
        compare.lines_of_code("theano")
    with pytest.raises(ValueError, match="'theano'"):
        compare.one_run("theano", Config())
    with pytest.raises(ValueError, match="repeats must be a positive integer, got 0"):
        compare.compare(Config(), repeats=0)


def made_up(ratio: float) -> Comparison:
    def runs(impl, seconds, epochs):
        return [
            Run(impl, 7 + r, e, 1.0, [s, s])
            for r, (s, e) in enumerate(zip(seconds, epochs, strict=True))
        ]

    result = Comparison(Config(), {"lowlevel": 133, "keras": 61}, {"lowlevel": 8410, "keras": 8410})
    result.runs = {
        "lowlevel": runs("lowlevel", [0.010, 0.012, 0.011, 0.020, 0.009], [3, 4, 3, 5, 3]),
        "keras": runs("keras", [0.011 * ratio] * 5, [3, None, 4, 3, 3]),
    }
    result.machine = {"cpu": "Test CPU, 2 logical cores", "load": "1.0", "versions": "v"}
    return result


def test_the_table_gives_medians_and_ranges_over_the_repeats():
    table = compare.format_table(made_up(3.0)).splitlines()
    assert table[0] == "| Measure | Low-level TensorFlow | Keras |"
    assert "| Lines of code | 133 | 61 |" in table
    assert "| Parameters | 8,410 | 8,410 |" in table
    assert "| Time per epoch, ms: median (range) | 11.0 (9.0 to 20.0) | 33.0 (33.0 to 33.0) |" in (
        table
    )
    assert "| Epochs to 100%: median (range) | 3 (3 to 5) | 1 of 5 runs never |" in table


def test_the_summary_says_which_side_was_faster_from_the_measured_ratio():
    summary = compare.format_summary(made_up(3.0))
    assert summary == (
        "Per epoch, Keras took 3.0× as long as the low-level loop: the median over 5 runs of "
        "each run's own ratio, which went from 1.7× to 3.7×. The table's two medians may come "
        "from different runs, so dividing one by the other can give another figure."
    )
    # Repeat by repeat: 33 ms over 10, 12, 11, 20 and 9 ms, ratios 3.3, 2.75, 3, 1.65 and
    # 3.67; the farthest from their median, 3, is the low-level side's 20 ms run: the note
    # on the method names it.
    assert compare.format_method(made_up(3.0)).endswith(
        " The ratio farthest from the median, 1.7×, comes from a run whose Keras epoch took "
        "33.0 ms (median 33.0 ms) and whose low-level epoch took 20.0 ms (median 11.0 ms)."
    )
    assert "Keras was 1.5× as fast" in compare.format_summary(made_up(1 / 1.5))
    assert "about the same time" in compare.format_summary(made_up(1.0))


def test_the_method_shows_the_keras_run_when_it_is_the_one_out_of_line():
    result = made_up(3.0)
    keras = [0.030, 0.036, 0.033, 0.120, 0.027]  # 3 times the low-level side, then 6 times
    result.runs["keras"] = [Run("keras", 7 + r, 3, 1.0, [s, s]) for r, s in enumerate(keras)]
    assert compare.format_method(result).endswith(
        "The ratio farthest from the median, 6.0×, comes from a run whose Keras epoch took "
        "120.0 ms (median 33.0 ms) and whose low-level epoch took 20.0 ms (median 11.0 ms)."
    )


def test_the_method_names_no_run_when_the_farthest_ratio_comes_from_typical_epochs():
    """Keras 40, 20, 40, 40, 20 ms over 10 ms each time but once 20: the ratios 4, 2, 4, 2
    and 2 have median 2; the farthest, 4, is 40 ms over 10 ms, both the sides' medians."""
    result = made_up(3.0)
    low, keras = [0.010, 0.010, 0.010, 0.020, 0.010], [0.040, 0.020, 0.040, 0.040, 0.020]
    for impl, seconds in (("lowlevel", low), ("keras", keras)):
        result.runs[impl] = [Run(impl, 7 + r, 3, 1.0, [s, s]) for r, s in enumerate(seconds)]
    assert "farthest" not in compare.format_method(result)
    assert compare.format_method(result).endswith(
        "when it started, other work sharing the cores), with v."
    )


def test_the_summary_has_one_sentence_when_every_run_gave_the_same_ratio():
    result = made_up(3.0)
    for impl in impls.NAMES:
        result.runs[impl] = [Run(impl, 7 + r, 3, 1.0, [0.01, 0.01]) for r in range(3)]
    assert compare.format_summary(result) == (
        "Per epoch, the two took about the same time (within 10%): the median over 3 runs of "
        "each run's own ratio, which went from 1.0× to 1.0×. The table's two medians may come "
        "from different runs, so dividing one by the other can give another figure."
    )


def test_the_method_states_the_source_the_repeats_and_the_machine():
    method = compare.format_method(made_up(3.0))
    assert method.startswith("Lines of code were counted in the package's own source")
    assert compare.RULE not in method  # the page states the rule once, above the table
    assert "trained 5 times, interleaved" in method and "seed 7 + *r*" in method
    assert "Test CPU, 2 logical cores (load average 1.0" in method
    assert "GPU" not in method  # the GPU figures are recorded apart
    assert "comparison took" not in method  # a comparison that was not timed says no time
    result = made_up(3.0)
    result.seconds = 41.6
    assert " The comparison took 42 s. The ratio farthest" in compare.format_method(result)


def test_runs_are_warmed_interleaved_seeded_and_timed_after_their_first_epoch(monkeypatch):
    """The measuring loop, with training replaced by a recorder (the CLI test trains)."""
    from alphabet_tutorial.history import History

    calls = []

    def fake_train(self, config, logdir=None, progress=None, stop_at_100=False):
        calls.append((self.name, config.seed, config.epochs, stop_at_100))
        history = History(self.name)
        for epoch in range(3):
            history.record(1.0, 1.0, 1.0 if epoch == 2 else 0.5, 0.1 * (epoch + 1))
        return impls.get("lowlevel").build(Config(units=2)), history

    monkeypatch.setattr(impls.Impl, "train", fake_train)
    result = compare.compare(Config(), repeats=3)
    warm_up, measured = calls[:2], calls[2:]
    assert [call[2] for call in warm_up] == [1, 1]
    assert [(name, seed) for name, seed, _, _ in measured] == [
        ("lowlevel", 7),
        ("keras", 7),
        ("keras", 8),
        ("lowlevel", 8),
        ("lowlevel", 9),
        ("keras", 9),
    ]
    assert all(stop for *_, stop in calls)
    for impl in impls.NAMES:
        assert result.epochs_to_100(impl) == [3, 3, 3]
        assert result.epoch_seconds(impl) == pytest.approx([0.25] * 3)  # median of 0.2, 0.3
    assert result.ratio() == pytest.approx(1.0)
    assert 0 < result.seconds < 60  # the whole comparison's wall-clock time, measured


def test_knobs_are_judged_against_the_first_model_in_each_round():
    """Three rounds of made-up epochs, added in alternating order as the page's loop adds
    them: the ratios, verdicts and table made from them."""
    epoch = {"defaults": 0.040, "faster": 0.030, "slower": 0.050, "mixed": 0.040}
    mixed = iter([0.030, 0.050, 0.040])
    timed = compare.KnobRounds(list(epoch))
    names = list(epoch)
    for order in (names, names[::-1], names):
        for name in order:
            seconds = next(mixed) if name == "mixed" else epoch[name]
            timed.add(name, [seconds], [seconds / 5])  # a fifth of it in calls to the step
    assert timed.baseline == "defaults"
    assert timed.to_baseline("defaults") == [1.0, 1.0, 1.0]
    assert timed.to_baseline("faster") == pytest.approx([0.75] * 3)
    assert timed.to_baseline("mixed") == pytest.approx([0.75, 1.25, 1.0])
    assert [timed.found(name) for name in names[1:]] == [
        "faster in every round",
        "slower in every round",
        "within the rounds' spread",
    ]
    assert timed.table().splitlines() == [
        "| Knob | Warm epoch: median | In calls to the step | Around them "
        "| Warm epoch against defaults: median (range) |",
        "|---|---:|---:|---:|---:|",
        "| defaults | 40 ms | 8 ms | 32 ms | 1.00× (1.00 to 1.00) |",
        "| faster | 30 ms | 6 ms | 24 ms | 0.75× (0.75 to 0.75) |",
        "| slower | 50 ms | 10 ms | 40 ms | 1.25× (1.25 to 1.25) |",
        "| mixed | 40 ms | 8 ms | 32 ms | 1.00× (0.75 to 1.25) |",
    ]
    # What a warm epoch saves: a sure saving (or cost), or none within the spread.
    assert timed.saved("faster") == pytest.approx(0.010)
    assert timed.saved("slower") == pytest.approx(-0.010)
    assert timed.saved("mixed") == 0.0
    # A start (the two epochs before the rounds), timed once, counts as longer only beyond
    # 1.5 times the default's; what its second epoch costs beyond counts as the first's does.
    assert timed.START_MARGIN == 1.5
    start = {
        "defaults": [0.9, 0.1],
        "faster": [1.8, 0.2],
        "slower": [1.7, 0.1],
        "mixed": [0.4, 0.1],
    }
    assert [timed.repaid(name, start) for name in names[1:]] == [
        "repaid after 100 warm epochs",  # 1.0 s, at 0.010 s an epoch
        "no sure saving to repay it",
        "no clear extra cost",  # a shorter start is no saving
    ]
    assert timed.repaid("faster", {**start, "faster": [1.4, 0.1]}) == "no clear extra cost"
    assert timed.repaid("faster", {**start, "faster": [1.5, 0.2]}) == "repaid after 70 warm epochs"
    assert timed.repaid("faster", {**start, "faster": [1.0, 1.0]}) == "repaid after 100 warm epochs"
    # Worth turning on over a run: faster in every round, its extra start repaid within it.
    assert timed.worth_it("faster", start, epochs=102)  # two, then 100 warm ones repay 1.0 s
    assert not timed.worth_it("faster", start, epochs=101)
    assert timed.worth_it("faster", {**start, "faster": [1.4, 0.1]}, epochs=2)  # nothing to repay
    assert not timed.worth_it("slower", start, epochs=1000)
    assert not timed.worth_it("mixed", start, epochs=1000)
    assert timed.around("faster") == pytest.approx([0.024] * 3)  # the epoch outside the calls


def test_knob_rounds_without_models_or_of_an_unknown_model_are_value_errors():
    with pytest.raises(ValueError, match="names must hold at least one model"):
        compare.KnobRounds([])
    timed = compare.KnobRounds(["defaults"])
    with pytest.raises(ValueError, match="unknown model 'unroll=True'"):
        timed.add("unroll=True", [0.04], [0.01])
    assert timed.seconds == {"defaults": []}  # nothing recorded


def test_weighing_starts_needs_every_models_start():
    timed = compare.KnobRounds(["defaults", "unroll=True"])
    timed.add("defaults", [0.04], [0.01])
    timed.add("unroll=True", [0.03], [0.01])
    with pytest.raises(ValueError, match="start holds no epochs of 'defaults'"):
        timed.repaid("unroll=True", {"unroll=True": [0.5, 0.1]})
    with pytest.raises(ValueError, match="unknown model 'jit_compile=True'"):
        timed.repaid("jit_compile=True", {"defaults": [0.5, 0.1], "unroll=True": [0.5, 0.1]})
    with pytest.raises(ValueError, match="as many epochs for every model"):
        timed.repaid("unroll=True", {"defaults": [0.5, 0.1], "unroll=True": [0.5]})


@pytest.mark.slow
def test_time_knobs_gives_each_model_its_start_and_its_warm_epochs_in_turns(capsys):
    """Two knobs, two rounds, on a small training set: the start is two timed epochs per
    model, printed as they end; each round adds one warm epoch per model, and the first
    model is the baseline."""
    config = Config(train_size=64, batch_size=32)  # two steps an epoch
    knobs = {"defaults": {}, "steps_per_execution=2": {"steps_per_execution": 2}}
    start, timed = time_knobs(config, knobs, rounds=2)
    assert list(start) == list(knobs) and all(len(seconds) == 2 for seconds in start.values())
    printed = capsys.readouterr().out.splitlines()
    said = r"first epoch \d+ ms, second \d+ ms \(\d+ ms of it in calls to the step\)"
    assert len(printed) == len(knobs)
    for name, line in zip(knobs, printed, strict=True):
        assert re.fullmatch(rf"{re.escape(name)}: {said}", line), line
    assert timed.baseline == "defaults"
    for name in knobs:  # one warm epoch a round, part of it in calls to the step
        assert len(timed.seconds[name]) == 2
        pairs = zip(timed.in_calls[name], timed.seconds[name], strict=True)
        assert all(0 < in_calls < epoch for in_calls, epoch in pairs)


def test_time_knobs_refuses_no_knobs_and_no_rounds_before_building_anything():
    with pytest.raises(ValueError, match="knobs must hold at least one entry"):
        time_knobs(Config(), {})
    with pytest.raises(ValueError, match="rounds must be a positive integer, got 0"):
        time_knobs(Config(), {"defaults": {}}, rounds=0)


def test_the_verdicts_print_each_knob_and_return_those_worth_turning_on(capsys):
    timed = compare.KnobRounds(["defaults", "faster", "costly"])
    for seconds in ([0.040, 0.030, 0.030], [0.040, 0.030, 0.030]):  # two rounds
        for name, epoch in zip(timed.seconds, seconds, strict=True):
            timed.add(name, [epoch], [epoch / 2])
    start = {"defaults": [0.9, 0.1], "faster": [0.9, 0.1], "costly": [2.9, 0.1]}
    assert timed.verdicts(start, epochs=50) == ["faster"]  # 2 s extra, 0.010 s saved an epoch
    assert capsys.readouterr().out.splitlines() == [
        "faster: a warm epoch took 0.75× as long as the default model's (0.75× to 0.75×), "
        "faster in every round",
        "  first two epochs 1000 ms, the default model's 1000 ms: no clear extra cost",
        "costly: a warm epoch took 0.75× as long as the default model's (0.75× to 0.75×), "
        "faster in every round",
        "  first two epochs 3000 ms, the default model's 1000 ms: repaid after 200 warm epochs",
        "worth turning on for a run of 50 epochs: faster",
    ]
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        timed.verdicts(start, epochs=0)
