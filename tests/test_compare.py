"""The comparison: lines of code read from the source, and the table of measurements."""

import pytest

from alphabet_tutorial import compare, impls, sources
from alphabet_tutorial.compare import Measurement


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
    for name, impl in impls.IMPLS.items():
        source = (sources.PACKAGE / impl.filename).read_text()
        expected = sum(sources.code_lines(sources.section(source, s)) for s in impl.sections)
        assert compare.lines_of_code(name) == expected > 10


def test_keras_needs_fewer_lines_than_low_level_tensorflow():
    assert compare.lines_of_code("lowlevel") > 2 * compare.lines_of_code("keras")


def test_missing_section_and_unknown_implementation_are_value_errors():
    with pytest.raises(ValueError, match="'nowhere'"):
        sources.section("x = 1\n", "nowhere")
    with pytest.raises(ValueError, match="'theano'"):
        compare.lines_of_code("theano")
    with pytest.raises(ValueError, match="'theano'"):
        compare.measure("theano")


def test_table_has_one_row_per_figure_and_a_column_per_implementation():
    measurements = [
        Measurement("lowlevel", 120, 8410, 1.84, 3, 1.0),
        Measurement("keras", 37, 8410, 4.0, None, 0.9565),
    ]
    table = compare.format_table(measurements).splitlines()
    assert table[0] == "| Measure | Low-level TensorFlow | Keras |"
    assert "| Lines of code | 120 | 37 |" in table
    assert "| Parameters | 8,410 | 8,410 |" in table
    assert "| Training time (s) | 1.8 | 4.0 |" in table
    assert "| Epochs to 100 % | 3 | never |" in table
    assert "| Final accuracy | 100.0% | 95.7% |" in table
