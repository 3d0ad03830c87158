"""Who is calling, and for which learner they may act."""

from django.conf import settings
from edx_rest_framework_extensions.auth.jwt.authentication import get_decoded_jwt_from_auth

from pie.apps.api.errors import ForbiddenLmsUserId, MissingLmsUserId
from pie.apps.core.lms import is_lms_user_id
from pie.apps.core.users import remember_user


def caller_lms_user_id(request) -> int | None:
    """
    The caller's LMS user id: the JWT's ``user_id`` claim, or the session user's.

    The claim is read from the token itself rather than from the local user, because
    ``core.users.user_for_claims`` keeps the user's previous ``lms_user_id`` when a token
    has no ``user_id``. ``None`` when there is no usable id.
    """
    payload = get_decoded_jwt_from_auth(request)
    value = payload.get("user_id") if payload is not None else getattr(request.user, "lms_user_id", None)
    return value if is_lms_user_id(value) else None


def is_staff_caller(request) -> bool:
    """
    Whether the caller may act on behalf of learners: a JWT with ``administrator: true``,
    or a staff or superuser session.

    For a JWT caller, the claim is read from the token itself: ``core.users.user_for_claims``
    copies ``administrator`` onto the local user only when a token carries it, so the
    user's ``is_staff`` may be left over from an earlier token.
    """
    payload = get_decoded_jwt_from_auth(request)
    if payload is not None:
        return payload.get("administrator") is True
    return bool(request.user.is_staff or request.user.is_superuser)


def lms_user_id_to_act_for(request, *, requested: int | None) -> tuple[int, bool]:
    """
    The LMS user id a request acts for, and whether that is on another learner's behalf.

    ``requested`` if given and allowed, else the caller's own id. Raises
    ``ForbiddenLmsUserId`` when a learner names another learner, and ``MissingLmsUserId``
    when the caller names no one and has no LMS user id.
    """
    own = caller_lms_user_id(request)
    if requested is None:
        if own is None:
            raise MissingLmsUserId()
        return own, False
    if requested != own and not is_staff_caller(request):
        raise ForbiddenLmsUserId()
    return requested, requested != own


def is_retirement_caller(request) -> bool:
    """
    Whether the caller may retire learners: the retirement service user
    (``RETIREMENT_SERVICE_WORKER_USERNAME``) or a superuser.

    For a JWT caller both come from the token itself (``preferred_username``, and the
    ``superuser`` claim the LMS issues), as ``is_staff_caller`` reads ``administrator``.
    """
    payload = get_decoded_jwt_from_auth(request)
    if payload is not None:
        username, superuser = payload.get("preferred_username"), payload.get("superuser") is True
    else:
        username, superuser = request.user.get_username(), request.user.is_superuser
    return superuser or username == settings.RETIREMENT_SERVICE_WORKER_USERNAME


class RemembersAllowedCallers:
    """
    A view that stores its caller's new local user (``core.users.remember_user``) only once
    the request was allowed: authenticated, permitted and not throttled, and not answered
    401 or 403 by the view itself (a token naming no learner where one is needed). A refused
    request leaves nothing of its token behind.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.pie_allowed = True

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(request, "pie_allowed", False) and response.status_code not in (401, 403):
            remember_user(request.user)
        return response
