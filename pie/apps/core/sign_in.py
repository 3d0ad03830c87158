"""
Staff sign-in to the admin through the LMS (edx-auth-backends' ``EdXOAuth2``, social-auth).

``/login/`` starts the OAuth2 authorization-code exchange with the LMS
(``SOCIAL_AUTH_EDX_OAUTH2_*`` settings); the LMS sends the browser back to
``/complete/edx-oauth2/``, where PIE exchanges the code for a JWT access token and reads
the user from it: username, email, name, LMS user id, and the rights (``administrator``
makes staff, ``superuser`` a superuser; both follow each sign-in's token). ``/logout/``
ends PIE's session and sends the browser to the LMS's logout. Where no LMS is configured
(a developer's machine), the admin keeps Django's password form, for ``createsuperuser``.
"""

import logging

from auth_backends.views import EdxOAuth2LogoutView
from django.conf import settings
from django.contrib import admin
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from social_core.exceptions import AuthConfigurationError, AuthPolicyError, AuthProviderError, SocialAuthBaseException

from pie.apps.core import retirement
from pie.apps.core.errors import ErrorCode, error_response
from pie.apps.core.lms import is_lms_user_id

log = logging.getLogger(__name__)


def lms_sign_in_configured() -> bool:
    """Whether staff sign in through the LMS (its address and PIE's client id are set)."""
    return bool(settings.SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT and settings.SOCIAL_AUTH_EDX_OAUTH2_KEY)


def admin_login(request, extra_context=None):
    """The admin's login page: the LMS for a visitor when it is configured, else Django's form."""
    if lms_sign_in_configured() and not request.user.is_authenticated:
        query = request.GET.urlencode()
        return HttpResponseRedirect(reverse("login") + (f"?{query}" if query else ""))
    # Django's own page: the password form, or "not authorized" for a signed-in non-staff user.
    return admin.site.login(request, extra_context)


@never_cache
def login(request):
    """
    ``/login/``: a page whose form the browser submits at once, a POST with PIE's CSRF token
    to social-auth's begin (``/login/edx-oauth2/``, which takes only a POST since
    social-auth-app-django 8: no one can start a sign-in for someone else), and on to the
    LMS. ``next`` is kept (social-auth keeps only a local one). Without an LMS: the admin's form.
    """
    if not lms_sign_in_configured():
        query = request.GET.urlencode()
        return HttpResponseRedirect(reverse("admin:login") + (f"?{query}" if query else ""))
    params = {"next": request.GET["next"]} if request.GET.get("next") else {}
    # social-auth-app-django's own auto-submitting form (the one its launch bridges render).
    context = {"action_url": reverse("social:begin", args=["edx-oauth2"]), "params": params, "auto_submit": True}
    return render(request, "social_django/launch.html", context)


class RetiredLearnerSignIn(AuthPolicyError):
    """A retired learner tried to sign in: PIE keeps nothing of them, their user included."""

    def __str__(self):
        return "This account is retired: PIE keeps nothing of it and does not sign it in."


def refuse_retired_learners(backend, details, response=None, *args, **kwargs):
    """
    A step of the sign-in pipeline (``SOCIAL_AUTH_PIPELINE``), before any user is stored: a
    retired learner (their token's ``user_id``) is refused, so their claims are not stored again.
    """
    lms_user_id = details.get("user_id", (response or {}).get("user_id"))
    if is_lms_user_id(lms_user_id) and retirement.is_retired(lms_user_id):
        raise RetiredLearnerSignIn(backend)


class LogoutView(EdxOAuth2LogoutView):
    """``/logout/``: ends PIE's session, then on to ``SOCIAL_AUTH_EDX_OAUTH2_LOGOUT_URL`` or the LMS's logout."""

    @property
    def url(self):
        if settings.SOCIAL_AUTH_EDX_OAUTH2_LOGOUT_URL:
            return settings.SOCIAL_AUTH_EDX_OAUTH2_LOGOUT_URL
        if not lms_sign_in_configured():
            return reverse("admin:index")
        return super().url


class SignInErrorMiddleware:
    """
    A sign-in that fails (the LMS refused the code or is unreachable, the state is missing
    or forged, the LMS user id is held by another local user) answers in the one error
    shape, never a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, SocialAuthBaseException):
            if isinstance(exception, RetiredLearnerSignIn):
                status, code = 403, ErrorCode.LEARNER_RETIRED
            elif isinstance(exception, AuthConfigurationError):
                status, code = 503, ErrorCode.SIGN_IN_NOT_CONFIGURED
            elif isinstance(exception, AuthProviderError):
                status, code = 502, ErrorCode.SIGN_IN_PROVIDER_ERROR
            else:
                status, code = 400, ErrorCode.SIGN_IN_FAILED
        elif isinstance(exception, IntegrityError) and _in_sign_in(request):
            # The database's message names its tables, keys and values: for the log only.
            log.warning("Sign-in through the LMS failed (%s)", ErrorCode.SIGN_IN_CONFLICT, exc_info=exception)
            return error_response(ErrorCode.SIGN_IN_CONFLICT, status=409, detail=_CONFLICT)
        else:
            return None
        log.warning("Sign-in through the LMS failed (%s): %s", code, exception)
        return error_response(code, status=status, detail=f"Signing in through the LMS failed: {exception}")


_CONFLICT = "Signing in through the LMS failed: another user of PIE holds this account's LMS user id."


def _in_sign_in(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.namespace == settings.SOCIAL_AUTH_URL_NAMESPACE
