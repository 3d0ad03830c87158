"""Helpers over iterables that more than one layer uses."""

from collections.abc import Iterable, Iterator
from itertools import islice


def batches[T](items: Iterable[T], size: int) -> Iterator[list[T]]:
    """
    ``items`` in lists of ``size`` (the last one shorter), read lazily: a stream of millions
    of rows is never held whole. ``ValueError`` for a size under 1.
    """
    if size < 1:
        raise ValueError(f"a batch holds at least one item, not {size}")
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
