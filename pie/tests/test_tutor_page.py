"""
docs/tutor.rst's configuration, held to PIE's code: the Tutor plugin's patches render
(Jinja, as Tutor renders them) to a compose file that runs every consumer PIE declares and
to LMS settings that send each event PIE reads to the topic its consumer reads; PIE's
configuration file there names every required setting.
"""

import re
from io import StringIO
from pathlib import Path

import jinja2
import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from pie.settings.required import REQUIRED

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "tutor.rst").read_text()
TUTOR = {"REDIS_HOST": "redis", "REDIS_PORT": 6379, "LMS_HOST": "lms.example.com", "ENABLE_HTTPS": True}


def code_block(language: str, starting: str) -> str:
    """The code block of ``language`` whose first line starts with ``starting``."""
    for block in re.findall(rf"^\.\. code-block:: {language}\n\n((?:    .*\n|\n)+)", PAGE, re.M):
        text = "\n".join(line[4:] for line in block.splitlines())
        if text.startswith(starting):
            return text
    raise AssertionError(f"no {language} block starting {starting!r}")


@pytest.fixture(scope="module")
def patches() -> dict[str, str]:
    plugin = yaml.safe_load(code_block("yaml", "name: pie"))
    assert plugin["name"] == "pie"
    return {name: jinja2.Template(text).render(**TUTOR) for name, text in plugin["patches"].items()}


def test_the_plugins_compose_services_run_every_consumer_under_a_stable_name(patches):
    services = yaml.safe_load(patches["local-docker-compose-services"])
    declared = StringIO()
    call_command("list_event_consumers", stdout=declared)
    commands = {
        name: service["command"].removeprefix("python manage.py ")
        for name, service in services.items()
        if "command" in service
    }
    assert sorted(command.split(" --consumer-name ")[0] for command in commands.values()) == sorted(
        declared.getvalue().splitlines()
    )
    assert {name: command.split(" --consumer-name ")[1] for name, command in commands.items()} == {
        name: f"{name}-1" for name in commands
    }
    for service in services.values():
        assert service["volumes"] == ["../../pie.yml:/edx/etc/pie.yml:ro"]


def test_the_lms_patch_sends_each_event_pie_reads_to_its_consumers_topic_and_keeps_the_lms_own(patches):
    unrelated = {
        "learning-certificate-lifecycle": {"event_key_field": "certificate.course.course_key", "enabled": True}
    }
    namespace = {"EVENT_BUS_PRODUCER_CONFIG": {"org.openedx.learning.certificate.created.v1": unrelated}}
    exec(compile(patches["openedx-lms-common-settings"], "openedx-lms-common-settings", "exec"), namespace)

    config = namespace["EVENT_BUS_PRODUCER_CONFIG"]
    topics = {
        "org.openedx.learning.course.enrollment.created.v1": settings.PIE_EVENT_BUS_ENROLLMENT_TOPIC,
        "org.openedx.learning.course.enrollment.changed.v1": settings.PIE_EVENT_BUS_ENROLLMENT_TOPIC,
        "org.openedx.learning.course.unenrollment.completed.v1": settings.PIE_EVENT_BUS_UNENROLLMENT_TOPIC,
        "org.openedx.learning.course.passing.status.updated.v1": settings.PIE_EVENT_BUS_PASSING_TOPIC,
    }
    for event_type, topic in topics.items():
        assert config[event_type][topic]["enabled"] is True
    assert config["org.openedx.learning.certificate.created.v1"] == unrelated
    assert namespace["EVENT_BUS_PRODUCER"] == "edx_event_bus_redis.create_producer"
    assert namespace["EVENT_BUS_REDIS_CONNECTION_URL"] == "redis://redis:6379/"
    pie = yaml.safe_load(code_block("yaml", 'SECRET_KEY: "..."'))
    assert namespace["EVENT_BUS_TOPIC_PREFIX"] == pie["EVENT_BUS_TOPIC_PREFIX"]


def test_pies_configuration_file_names_every_required_setting():
    config = yaml.safe_load(code_block("yaml", 'SECRET_KEY: "..."'))
    in_file = {
        *config,
        *config["JWT_AUTH"],
        *(["DATABASE_URL"] if "default" in config.get("DATABASES", {}) else []),
    }
    assert set(REQUIRED) <= in_file
    assert config["COURSE_CATALOG_API_URL"].endswith("/api/v1/")
