"""
PIE's local users: shadows of LMS users, made and kept up to date from JWT claims.

``user_for_claims`` is what edx-drf-extensions' ``authenticate_credentials`` does (get the
user named by the token, copy the mapped claims onto it), with three differences: a claim
of the wrong type is refused before anything is stored; the user is read by SQL written
once rather than compiled by the ORM on every request; and a user PIE does not hold yet is
not stored by authentication: ``remember_user`` stores it once the request was allowed,
and never a retired learner (``core.retirement``).
"""

from functools import lru_cache

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections

from pie.apps.core import retirement
from pie.apps.core.lms import is_lms_user_id
from pie.apps.core.transactions import serialised

# The claims copied onto the local user (settings: EDX_DRF_EXTENSIONS
# JWT_PAYLOAD_USER_ATTRIBUTE_MAPPING), and what a value of each must be.
_CLAIM_IS_VALID = {
    "administrator": lambda value: isinstance(value, bool),
    "email": lambda value: isinstance(value, str) and len(value) <= 254,
    "user_id": is_lms_user_id,
}


class ClaimsRefused(Exception):
    """The token's claims cannot name a user (a missing username, a claim of the wrong type)."""


class UserConflict(Exception):
    """Another local user already holds this token's LMS user id."""


def user_for_claims(*, claims: dict, attribute_map: dict[str, str]):
    """
    The local user named by the token's ``preferred_username`` (or ``username``), with each
    claim of ``attribute_map`` (claim -> user attribute) that the token carries copied onto
    it: a stored user is saved with what changed (not a retired learner's id); a new one is
    returned unsaved (``remember_user`` stores it).

    Raises ``ClaimsRefused`` when the username or a mapped claim is not of its type, and
    ``UserConflict`` when the LMS user id belongs to another local user; in both cases
    nothing is written.
    """
    username = claims.get("preferred_username") or claims.get("username")
    if not isinstance(username, str) or not 0 < len(username) <= 150:
        raise ClaimsRefused("The token has no preferred_username or username claim, or it is not a username.")
    updates = {}
    for claim, attribute in attribute_map.items():
        value = claims.get(claim)
        if value is None:
            continue
        is_valid = _CLAIM_IS_VALID.get(claim)
        if is_valid is not None and not is_valid(value):
            raise ClaimsRefused(f"The token's {claim} claim is not of its type.")
        updates[attribute] = value
    user = _read_user(username)
    if user is None:
        lms_user_id = updates.get("lms_user_id")
        holder = _holder_of(lms_user_id)
        if holder is None:
            return get_user_model()(username=username, **updates)
        if holder != username:
            raise UserConflict(f"Another local user holds the LMS user id of {username!r}.")
        # A concurrent first request of the same caller stored the user after the read above.
        user = _read_user(username)
    try:
        return _updated(user, updates)
    except IntegrityError as error:
        raise UserConflict(f"Another local user holds the LMS user id of {username!r}.") from error


class _Retired(Exception):
    pass


def remember_user(user) -> bool:
    """
    Store ``user`` if it is a new one from ``user_for_claims``; return whether it is stored.

    A retired learner's claims are never stored (the check follows the insert, in one
    transaction, as every writer's does: ADR 0017). A concurrent first request that stored
    the same user a moment before is as good.
    """
    if not isinstance(user, get_user_model()):
        return False
    if not user._state.adding:
        return True

    def insert() -> None:
        user.save(force_insert=True)
        if user.lms_user_id is not None and retirement.is_retired(user.lms_user_id, lock=True):
            raise _Retired()

    try:
        serialised(insert, what="storing a local user")
    except (_Retired, IntegrityError):
        user.pk, user._state.adding = None, True
        return False
    return True


def _updated(user, attributes: dict):
    """``user`` with ``attributes`` set, saved (those fields only) if any changed; a retired learner's id is not set."""
    changed = [attribute for attribute, value in attributes.items() if getattr(user, attribute) != value]
    if not changed:
        return user
    previous = {attribute: getattr(user, attribute) for attribute in changed}

    def update() -> None:
        for attribute in changed:
            setattr(user, attribute, attributes[attribute])
        user.save(update_fields=changed)
        if "lms_user_id" in changed and retirement.is_retired(user.lms_user_id, lock=True):
            raise _Retired()

    try:
        serialised(update, what="updating a local user")
    except _Retired:
        for attribute, value in previous.items():
            setattr(user, attribute, value)
    return user


def _holder_of(lms_user_id) -> str | None:
    """The username of the local user holding ``lms_user_id``, if one does."""
    if lms_user_id is None:
        return None
    return get_user_model().objects.filter(lms_user_id=lms_user_id).values_list("username", flat=True).first()


def _read_user(username: str):
    db = connections[DEFAULT_DB_ALIAS]
    sql, names = _select_user_sql(db.vendor)
    with db.cursor() as cursor:
        cursor.execute(sql, [username])
        row = cursor.fetchone()
    return None if row is None else get_user_model().from_db(db.alias, names, row)


@lru_cache(maxsize=4)
def _select_user_sql(vendor: str) -> tuple[str, list[str]]:
    """The read of one user by username, written once per backend: SQL and the field names it selects."""
    User = get_user_model()
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    fields = User._meta.concrete_fields
    columns = ", ".join(quote(field.column) for field in fields)
    username = quote(User._meta.get_field("username").column)
    sql = f"SELECT {columns} FROM {quote(User._meta.db_table)} WHERE {username} = %s"
    return sql, [field.attname for field in fields]
