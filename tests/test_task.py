"""The task: letters to indices and one-hot vectors, windows, and the two datasets."""

import re

import numpy as np
import pytest

from alphabet_tutorial import Config
from alphabet_tutorial.task import (
    ALPHABET,
    NUM_LETTERS,
    decode,
    encode,
    encode_prompt,
    encode_windows,
    evaluation_set,
    one_hot,
    top_letters,
    training_set,
    windows,
)


def test_alphabet_is_the_26_lowercase_letters_in_order():
    assert decode(list(range(NUM_LETTERS))) == "abcdefghijklmnopqrstuvwxyz"
    assert NUM_LETTERS == 26 == one_hot([0]).shape[-1]


def test_encode_maps_a_to_0_and_z_to_25():
    assert encode("abc") == [0, 1, 2]
    assert encode("z") == [25]
    assert encode(ALPHABET) == list(range(26))


def test_encode_accepts_all_upper_case():
    assert encode("ABC") == encode("abc")


def test_decode_inverts_encode():
    assert decode(encode(ALPHABET)) == ALPHABET
    assert decode([7, 4, 11, 11, 14]) == "hello"
    assert decode(np.array([0, 25])) == "az"  # numpy integers too


def test_one_hot_appends_an_axis_of_26():
    assert one_hot(3).shape == (26,)
    assert one_hot([0, 1, 2]).shape == (3, 26)
    assert one_hot([[0, 1, 2], [3, 4, 5]]).shape == (2, 3, 26)
    assert one_hot([]).shape == (0, 26)
    vectors = one_hot(encode("abc"))
    assert vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(vectors.argmax(axis=-1), [0, 1, 2])


def test_windows_without_wrap_stop_before_z_has_to_be_followed():
    pairs = windows(3)
    assert len(pairs) == 26 - 3
    assert pairs[0] == ("abc", "d")
    assert pairs[-1] == ("wxy", "z")
    assert all(letter != "a" for _, letter in pairs)  # z is never followed by a


def test_windows_with_wrap_follow_z_by_a():
    pairs = windows(3, wrap=True)
    assert len(pairs) == 26
    assert ("xyz", "a") in pairs
    assert ("zab", "c") in pairs


@pytest.mark.parametrize("window", [1, 5, 25])
def test_window_count_is_26_minus_window_or_26_with_wrap(window):
    assert len(windows(window)) == 26 - window
    assert len(windows(window, wrap=True)) == 26


def test_every_window_is_consecutive_letters_and_its_successor():
    for text, letter in windows(4, wrap=True):
        indices = encode(text + letter)
        assert all((b - a) % 26 == 1 for a, b in zip(indices, indices[1:], strict=False))


def test_encode_windows_shapes_are_n_window_26_and_n_26():
    inputs, targets = encode_windows(windows(5))
    assert inputs.shape == (21, 5, 26)
    assert targets.shape == (21, 26)


def test_training_set_has_train_size_windows():
    inputs, targets = training_set(Config(train_size=100, window=4))
    assert inputs.shape == (100, 4, 26)
    assert targets.shape == (100, 26)


def test_training_set_is_the_same_for_the_same_seed():
    first = training_set(Config(seed=3))
    second = training_set(Config(seed=3))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_training_set_differs_for_another_seed():
    first = training_set(Config(seed=3))
    other = training_set(Config(seed=4))
    assert not np.array_equal(first[0], other[0])


def test_training_set_draws_only_windows_of_the_task():
    config = Config(window=3)
    inputs, targets = training_set(config)
    valid = {(text, letter) for text, letter in windows(3)}
    drawn = {
        (decode(x.argmax(axis=1)), decode([y.argmax()]))
        for x, y in zip(inputs, targets, strict=True)
    }
    assert drawn <= valid


@pytest.mark.parametrize("wrap", [False, True])
def test_evaluation_set_covers_every_window_exactly_once(wrap):
    config = Config(window=4, wrap=wrap)
    inputs, targets = evaluation_set(config)
    seen = [
        (decode(x.argmax(axis=1)), decode([y.argmax()]))
        for x, y in zip(inputs, targets, strict=True)
    ]
    assert seen == windows(4, wrap)  # in alphabetical order
    assert len(set(seen)) == len(seen) == (26 if wrap else 22)


def test_encode_prompt_keeps_the_last_window_letters():
    batch = encode_prompt("xyzabc", 3)
    assert batch.shape == (1, 3, 26)
    assert decode(batch[0].argmax(axis=1)) == "abc"


def test_top_letters_are_sorted_most_likely_first():
    probabilities = np.full(26, 0.01)
    probabilities[3], probabilities[4] = 0.5, 0.2
    top = top_letters(probabilities, top=3)
    assert [letter for letter, _ in top] == ["d", "e", "a"]  # ties keep alphabetical order
    assert top[0][1] == pytest.approx(0.5)
    assert len(top_letters(probabilities, top=26)) == 26


# Every bad input is a ValueError, and its message names the bad value.
def named(value) -> str:
    return re.escape(repr(value))


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("ab3", "'3'"),
        ("aBc", "'aBc'"),
        ("", "''"),
        ("a b", "' '"),
        ("café", "'é'"),
        (3, "3"),
        (None, "None"),
    ],
)
def test_encode_rejects_anything_but_letters_of_one_case(text, bad):
    with pytest.raises(ValueError, match=re.escape(bad)):
        encode(text)


@pytest.mark.parametrize("index", [26, -1, 2.5, True])
def test_decode_rejects_indices_outside_the_alphabet_or_not_integers(index):
    with pytest.raises(ValueError, match=named(index)):
        decode([0, index])


@pytest.mark.parametrize("indices", [[26], [-1], [0.5]])
def test_one_hot_rejects_indices_outside_the_alphabet_or_not_integers(indices):
    with pytest.raises(ValueError, match=re.escape(str(np.asarray(indices)))):
        one_hot(indices)


@pytest.mark.parametrize("window", [26, 27, 100])
def test_window_as_long_as_the_alphabet_or_longer_is_rejected(window):
    message = re.escape(f"window must be shorter than the alphabet (26 letters), got {window}")
    with pytest.raises(ValueError, match=message):
        windows(window)
    with pytest.raises(ValueError, match=message):
        encode_prompt("abc", window)


@pytest.mark.parametrize("window", [0, -1, 2.5, "3", True, None])
def test_window_that_is_not_a_positive_integer_is_rejected(window):
    with pytest.raises(ValueError, match=f"got {named(window)}"):
        windows(window)
    with pytest.raises(ValueError, match=f"got {named(window)}"):
        encode_prompt("abcd", window)


@pytest.mark.parametrize("top", [0, -1, 27, 2.0, True])
def test_top_outside_1_to_26_is_rejected(top):
    with pytest.raises(ValueError, match=f"got {named(top)}"):
        top_letters(np.full(26, 1 / 26), top=top)


def test_prompt_shorter_than_the_window_is_rejected():
    with pytest.raises(ValueError, match="'ab' has 2 letter"):
        encode_prompt("ab", 3)


def test_prompt_with_a_bad_letter_is_rejected():
    with pytest.raises(ValueError, match="'!'"):
        encode_prompt("abc!", 3)
