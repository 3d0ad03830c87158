"""
Where each domain app declares what it does on the event bus, in its ``AppConfig.ready()``:

* its **event kinds**: what a kept event writes again (``replay``), and what to call it in a
  log line. The failed-event store's ``kind`` takes its choices from here (a callable, so an
  app that adds a kind needs no migration of the bus);
* its **consumers**: one process per topic, the setting that names the topic, and the
  ``manage.py`` command (with its arguments) that runs it. ``manage.py list_event_consumers``
  prints them, and ``make consume-events`` runs what it prints: nothing repeats the list.

The bus knows no domain: intents registers the ``intent`` kind and the certificates'
consumer, engagement the ``course_fact`` kind and the LMS's course topics.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True, kw_only=True)
class EventKind:
    """A kind of kept event: ``replay(lms_user_id, values)`` writes it again and says whether that was new."""

    name: str
    label: str
    replay: Callable[[int, dict], bool]


@dataclass(frozen=True, kw_only=True)
class Consumer:
    """A consumer process: the topic setting it reads, and the ``manage.py`` command that runs it."""

    topic_setting: str
    command: tuple[str, ...]

    @property
    def topic(self) -> str:
        return getattr(settings, self.topic_setting)


_KINDS: dict[str, EventKind] = {}
_CONSUMERS: list[Consumer] = []


def register_kind(kind: EventKind) -> None:
    """Declare a kind of kept event (once per app start; the same declaration again is a no-op)."""
    _KINDS[kind.name] = kind


def register_consumer(consumer: Consumer) -> None:
    """Declare a consumer process (once per app start; the same declaration again is a no-op)."""
    if consumer not in _CONSUMERS:
        _CONSUMERS.append(consumer)


def kind(name: str) -> EventKind:
    """The kind registered under ``name``; ``KeyError`` for one no app declares."""
    return _KINDS[name]


def kind_choices() -> list[tuple[str, str]]:
    """The failed-event store's ``kind`` choices: every registered kind."""
    return [(registered.name, registered.label) for registered in _KINDS.values()]


def consumers() -> list[Consumer]:
    """Every consumer process PIE runs, in the order the apps declared them."""
    return list(_CONSUMERS)
