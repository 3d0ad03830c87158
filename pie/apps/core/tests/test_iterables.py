"""``core.iterables.batches``: items in lists of a size, read lazily."""

import itertools

import pytest

from pie.apps.core.iterables import batches


@pytest.mark.parametrize(
    ("items", "size", "expected"),
    [
        (range(5), 2, [[0, 1], [2, 3], [4]]),
        (range(4), 2, [[0, 1], [2, 3]]),
        (range(3), 10, [[0, 1, 2]]),
        ([], 3, []),
    ],
)
def test_items_in_lists_of_a_size(items, size, expected):
    assert list(batches(items, size)) == expected


def test_reads_no_further_than_the_batch_it_gives():
    read = []
    endless = (read.append(n) or n for n in itertools.count())
    assert next(batches(endless, 3)) == [0, 1, 2]
    assert read == [0, 1, 2]


@pytest.mark.parametrize("size", [0, -1])
def test_a_size_under_one_is_refused(size):
    with pytest.raises(ValueError, match="at least one item"):
        next(batches([1], size))
