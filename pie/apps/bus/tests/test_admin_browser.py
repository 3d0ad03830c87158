"""
The failed-events admin in a real browser (headless Chromium): a staff operator selects one
of two kept events and runs the replay action; only that one is replayed. The page of a kept
event keeps its long title clear of the History button.

PIE runs in pytest-django's ``live_server``; the operator's session is the test client's
(``force_login``), handed to the browser as its cookie.
"""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from pie.apps.bus.models import FailedEvent
from pie.apps.bus.tests.factories import FailedEventFactory
from pie.apps.intents.models import ProgramIntent
from pie.tests.browser import in_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def operator_session_cookie(django_user_model, live_server) -> dict:
    """A staff user who may view and replay kept events (not a superuser): their session cookie."""
    operator = django_user_model.objects.create_user("operator", "operator@example.com", "pw", is_staff=True)
    operator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="bus", codename__in=["view_failedevent", "replay_failedevent"]
        )
    )
    client = Client()
    client.force_login(operator)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def replay_one_in_the_list(browser, *, url: str, cookie: dict, event_id: int) -> dict:
    context = browser.new_context()
    context.add_cookies([cookie])
    page = context.new_page()
    page.goto(url)
    page.check(f'input[name="_selected_action"][value="{event_id}"]')
    page.select_option('select[name="action"]', "replay_selected")
    page.click('button[name="index"]')
    page.wait_for_selector("ul.messagelist li")
    return {
        "message": page.inner_text("ul.messagelist li"),
        "listed": sorted(
            int(box.get_attribute("value")) for box in page.query_selector_all('input[name="_selected_action"]')
        ),
    }


def title_beside_history_button(browser, *, url: str, cookie: dict) -> dict:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.add_cookies([cookie])
    page = context.new_page()
    page.goto(url)
    # Each line of the title's text, and the History button: none may overlap it.
    return page.evaluate(
        """() => {
            const range = document.createRange();
            range.selectNodeContents(document.querySelector('#content > h2'));
            const button = document.querySelector('.object-tools a').getBoundingClientRect();
            const box = r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
            return {lines: [...range.getClientRects()].map(box), button: box(button)};
        }"""
    )


def overlaps(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def test_the_replay_action_replays_only_the_selected_failed_event(live_server, django_user_model):
    chosen, other = FailedEventFactory(lms_user_id=41), FailedEventFactory(lms_user_id=42)
    cookie = operator_session_cookie(django_user_model, live_server)
    url = live_server.url + reverse("admin:bus_failedevent_changelist")

    seen = in_chromium(lambda browser: replay_one_in_the_list(browser, url=url, cookie=cookie, event_id=chosen.pk))

    assert "Replayed 1 failed event(s): 1 recorded" in seen["message"], seen
    assert seen["listed"] == [other.pk]
    assert list(FailedEvent.objects.values_list("pk", flat=True)) == [other.pk]
    recorded = ProgramIntent.objects.get()
    assert (recorded.lms_user_id, str(recorded.program_uuid)) == (41, chosen.values["program_uuid"])


def test_a_kept_events_long_title_stays_clear_of_the_history_button(live_server, django_user_model):
    kept = FailedEventFactory(lms_user_id=43)
    cookie = operator_session_cookie(django_user_model, live_server)
    url = live_server.url + reverse("admin:bus_failedevent_change", args=[kept.pk])

    seen = in_chromium(lambda browser: title_beside_history_button(browser, url=url, cookie=cookie))

    assert len(seen["lines"]) >= 2, seen  # long enough to wrap at this width
    assert not [line for line in seen["lines"] if overlaps(line, seen["button"])], seen
