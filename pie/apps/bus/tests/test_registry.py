"""The registry: each app declares its event kinds and consumers; the bus and the Makefile read them."""

from pathlib import Path

import pytest
from django.core.management import call_command

from pie.apps.bus import registry
from pie.apps.bus.models import FailedEvent

ROOT = Path(__file__).resolve().parents[4]


def test_each_domain_app_declares_its_kind():
    assert dict(registry.kind_choices()) == {"intent": "intent", "course_fact": "course fact"}
    assert dict(FailedEvent._meta.get_field("kind").choices) == dict(registry.kind_choices())


@pytest.mark.django_db
def test_a_kind_declared_later_needs_no_migration(monkeypatch):
    monkeypatch.setattr(registry, "_KINDS", dict(registry._KINDS))
    registry.register_kind(registry.EventKind(name="badge", label="badge", replay=lambda learner, values: True))
    assert "badge" in dict(FailedEvent._meta.get_field("kind").choices)
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # exits 1 (SystemExit) on a change


def test_the_consumers_are_listed_one_command_a_line(capsys, settings):
    settings.PIE_EVENT_BUS_ENROLLMENT_TOPIC = "enrollments-here"
    call_command("list_event_consumers")
    assert capsys.readouterr().out.splitlines() == [
        "consume_certificate_events",
        "consume_course_events enrollment",
        "consume_course_events unenrollment",
        "consume_course_events passing",
    ]
    call_command("list_event_consumers", "--topics")
    assert capsys.readouterr().out.splitlines()[:2] == [
        "consume_certificate_events\tlearning-program-certificate-lifecycle",
        "consume_course_events enrollment\tenrollments-here",
    ]


def test_make_consume_events_runs_what_the_registry_lists():
    recipe = (ROOT / "Makefile").read_text().split("\nconsume-events:")[1].split("\n\n")[0]
    assert "list_event_consumers" in recipe
    assert not any(command in recipe for command in ("consume_course_events", "consume_certificate_events"))
