"""
Staff sign-in to /admin/ through the LMS: the whole OAuth2 exchange, PIE (Django's test
client) talking over real HTTP to a stand-in LMS (``lms.py``) that issues real JWTs.
"""

import json
import re
from http.client import HTTPConnection
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from social_django.models import UserSocialAuth

from pie.apps.core.tests.lms import CLIENT_ID, CLIENT_SECRET, StandInLms
from pie.apps.core.users import remember_user, user_for_claims

User = get_user_model()


@pytest.fixture
def client(db):
    """A browser: Django's test client, checking CSRF tokens as PIE does for a browser."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def lms(settings):
    stand_in = StandInLms().start()
    settings.SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT = stand_in.url
    settings.SOCIAL_AUTH_EDX_OAUTH2_KEY = CLIENT_ID
    settings.SOCIAL_AUTH_EDX_OAUTH2_SECRET = CLIENT_SECRET
    yield stand_in
    stand_in.stop()


def submitted(client, page):
    """What a browser's script does with /login/'s page: POST its form (the CSRF token included)."""
    action = re.search(rb'<form id="autoLoginForm" method="post" action="([^"]+)"', page.content).group(1)
    fields = dict(re.findall(rb'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.content))
    assert b"csrfmiddlewaretoken" in fields
    return client.post(action.decode(), {name.decode(): value.decode() for name, value in fields.items()})


def follow(client, lms: StandInLms, path: str, *, limit: int = 10):
    """
    Follow redirects as a browser would, to PIE (the test client) or to the LMS (HTTP), and
    submit /login/'s form; the last answer and the hops.
    """
    hops = [path]
    response = client.get(path)
    while len(hops) < limit:
        if response.status_code == 200 and b"autoLoginForm" in response.content:
            hops.append("POST " + response.wsgi_request.path)
            response = submitted(client, response)
            continue
        if response.status_code not in (301, 302):
            break
        location = response["Location"]
        hops.append(location)
        if location.startswith(lms.url):
            url = urlparse(location)
            connection = HTTPConnection(url.hostname, url.port, timeout=10)
            connection.request("GET", f"{url.path}?{url.query}")
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 302, (answer.status, location)
            back = urlparse(answer.getheader("Location"))
            assert back.netloc == "testserver", back  # PIE's own redirect URI
            hops.append(answer.getheader("Location"))
            response = client.get(f"{back.path}?{back.query}")
        else:
            response = client.get(location)
    return response, hops


@pytest.mark.django_db
def test_a_staff_member_signs_in_to_the_admin_through_the_lms(client, lms):
    lms.sign_in_as(
        username="ada", lms_user_id=42, administrator=True, email="ada@example.com", given_name="Ada", family_name="L"
    )

    response, hops = follow(client, lms, "/admin/")

    assert response.status_code == 200, hops
    assert response.wsgi_request.path == "/admin/"
    assert hops[1:4] == ["/admin/login/?next=/admin/", "/login/?next=%2Fadmin%2F", "POST /login/"]
    assert hops[4].startswith(f"{lms.url}/oauth2/authorize?")
    ada = User.objects.get(username="ada")
    assert (ada.is_staff, ada.is_superuser, ada.lms_user_id, ada.email) == (True, False, 42, "ada@example.com")
    assert (ada.first_name, ada.last_name) == ("Ada", "L")
    assert response.wsgi_request.user == ada
    # PIE asked for a JWT, with its own client credentials, for the code it was given.
    (token_request,) = lms.token_requests
    assert token_request["token_type"] == "jwt"
    assert (token_request["client_id"], token_request["client_secret"]) == (CLIENT_ID, CLIENT_SECRET)
    social = UserSocialAuth.objects.get(user=ada)
    assert (social.provider, social.uid, social.extra_data["user_id"]) == ("edx-oauth2", "ada", 42)


@pytest.mark.django_db
def test_the_superuser_claim_makes_a_superuser(client, lms):
    lms.sign_in_as(username="root", lms_user_id=1, administrator=True, superuser=True)

    response, _ = follow(client, lms, "/admin/")

    assert response.status_code == 200
    root = User.objects.get(username="root")
    assert (root.is_staff, root.is_superuser) == (True, True)


@pytest.mark.django_db
def test_rights_follow_each_sign_in_and_a_learner_is_kept_out(client, lms):
    lms.sign_in_as(username="bob", lms_user_id=5, administrator=True, superuser=True)
    assert follow(client, lms, "/admin/")[0].status_code == 200

    logout = client.get("/logout/")
    assert logout.status_code == 302
    assert logout["Location"] == f"{lms.url}/logout"
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"

    lms.sign_in_as(username="bob", lms_user_id=5, administrator=False)
    response, _ = follow(client, lms, "/login/?next=/admin/")

    bob = User.objects.get(username="bob")
    assert (bob.is_staff, bob.is_superuser) == (False, False)
    assert response.wsgi_request.user == bob
    # Signed in, but not staff: the admin's own "not authorized" page, not another trip to the LMS.
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 200
    assert b"not authorized" in page.content
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_the_user_an_api_token_made_is_the_one_who_signs_in(client, lms):
    made_by_api = user_for_claims(
        claims={"preferred_username": "carol", "user_id": 9, "administrator": True},
        attribute_map={"administrator": "is_staff", "user_id": "lms_user_id"},
    )
    assert remember_user(made_by_api)  # as an API request does once it is allowed
    lms.sign_in_as(username="carol", lms_user_id=9, administrator=True)

    assert follow(client, lms, "/admin/")[0].status_code == 200

    assert list(User.objects.values_list("pk", flat=True)) == [made_by_api.pk]


@pytest.mark.django_db
def test_a_completion_without_the_session_state_is_a_json_400(client, lms):
    response = client.get("/complete/edx-oauth2/?code=anything&state=forged")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error_code"] == "sign_in_failed"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_wrong_client_secret_is_a_json_503_not_a_500(client, lms, settings):
    settings.SOCIAL_AUTH_EDX_OAUTH2_SECRET = "not-the-secret"
    lms.sign_in_as(username="dan", lms_user_id=3, administrator=True)

    response, _ = follow(client, lms, "/admin/")

    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    # The LMS refuses PIE's credentials (401 invalid_client): PIE is misconfigured.
    assert (response.status_code, body["error_code"]) == (503, "sign_in_not_configured"), body
    assert not User.objects.filter(username="dan").exists()


@pytest.mark.django_db
def test_an_unreachable_lms_is_a_json_502(client, lms, settings):
    lms.sign_in_as(username="eve", lms_user_id=4, administrator=True)
    # The browser reaches the LMS's public address; PIE's back channel to it is down.
    settings.SOCIAL_AUTH_EDX_OAUTH2_PUBLIC_URL_ROOT = lms.url
    settings.SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT = "http://127.0.0.1:1"

    response, _ = follow(client, lms, "/admin/")

    assert response.status_code == 502
    assert json.loads(response.content)["error_code"] == "sign_in_provider_error"


# Committed as in production: in the test's transaction the failed insert would break the
# session's save that follows it.
@pytest.mark.django_db(transaction=True)
def test_an_lms_user_id_held_by_another_user_is_a_409_that_names_no_database_detail(client, lms, caplog):
    User.objects.create_user("alice", lms_user_id=4002)
    lms.sign_in_as(username="bob", lms_user_id=4002, administrator=True)

    with caplog.at_level("WARNING", logger="pie.apps.core.sign_in"):
        response, _ = follow(client, lms, "/admin/")

    assert (response.status_code, response["Content-Type"]) == (409, "application/json"), response.content
    body = json.loads(response.content)
    assert body == {
        "detail": "Signing in through the LMS failed: another user of PIE holds this account's LMS user id.",
        "error_code": "sign_in_conflict",
    }
    # The database's own words (SQLite's "UNIQUE constraint failed", MariaDB's "Duplicate
    # entry '4002' for key ...") are for the log.
    (record,) = [record for record in caplog.records if record.name == "pie.apps.core.sign_in"]
    assert record.exc_info is not None
    assert "IntegrityError" in caplog.text
    assert list(User.objects.filter(lms_user_id=4002).values_list("username", flat=True)) == ["alice"]


@pytest.mark.django_db
def test_without_an_lms_the_admin_keeps_its_password_form(client, settings):
    settings.SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT = None
    User.objects.create_superuser("admin", "admin@example.com", "a-password")

    assert client.get("/login/?next=/admin/")["Location"] == "/admin/login/?next=%2Fadmin%2F"
    form = client.get("/admin/login/?next=/admin/")
    assert form.status_code == 200
    assert b'name="password"' in form.content
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.content).group(1).decode()
    credentials = {"username": "admin", "password": "a-password", "csrfmiddlewaretoken": token}
    signed_in = client.post("/admin/login/?next=/admin/", credentials)
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_retired_learner_signing_in_is_refused_and_not_stored_again(client, lms):
    from pie.apps.intents import services

    lms.sign_in_as(username="fay", lms_user_id=12, administrator=True)
    assert follow(client, lms, "/admin/")[0].status_code == 200
    client.get("/logout/")
    services.retire_learner(lms_user_id=12)
    assert not User.objects.filter(username="fay").exists()

    response, _ = follow(client, lms, "/login/?next=/admin/")
    assert response.status_code == 403
    body = json.loads(response.content)
    assert body["error_code"] == "learner_retired"
    assert "retired" in body["detail"]
    assert not User.objects.filter(username="fay").exists()
    assert not UserSocialAuth.objects.exists()


def test_the_sign_in_pipeline_is_edx_auth_backends_with_the_retired_learners_refused(settings):
    from auth_backends.strategies import EdxDjangoStrategy

    refusal = "pie.apps.core.sign_in.refuse_retired_learners"
    library = list(EdxDjangoStrategy.DEFAULT_SETTINGS["SOCIAL_AUTH_PIPELINE"])
    assert [step for step in settings.SOCIAL_AUTH_PIPELINE if step != refusal] == library
    # Before any step that loads or stores a user.
    assert settings.SOCIAL_AUTH_PIPELINE.index(refusal) < settings.SOCIAL_AUTH_PIPELINE.index(
        "social_core.pipeline.social_auth.social_user"
    )
