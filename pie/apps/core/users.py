"""
PIE's local users: shadows of LMS users, made and kept up to date from JWT claims.

``user_for_claims`` is what edx-drf-extensions' ``authenticate_credentials`` does (get or
create the user named by the token, copy the mapped claims onto it), with two
differences: a claim of the wrong type is refused before anything is stored, and the
user is read by SQL written once rather than compiled by the ORM on every request.
"""

from functools import lru_cache

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction

from pie.apps.core.lms import is_lms_user_id

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
    The local user named by the token's ``preferred_username`` (or ``username``), created if
    new, with each claim of ``attribute_map`` (claim -> user attribute) that the token
    carries copied onto it.

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
    try:
        return _updated(_read_user(username) or _create_user(username, updates), updates)
    except IntegrityError as error:
        raise UserConflict(f"Another local user holds the LMS user id of {username!r}.") from error


def _create_user(username: str, attributes: dict):
    try:
        with transaction.atomic():
            return get_user_model().objects.create(username=username, **attributes)
    except IntegrityError:
        # A concurrent first request may have made the same user a moment ago: use that one.
        user = _read_user(username)
        if user is None:
            raise
        return user


def _updated(user, attributes: dict):
    """``user`` with ``attributes`` set, saved (those fields only) if any changed."""
    changed = [attribute for attribute, value in attributes.items() if getattr(user, attribute) != value]
    if changed:
        for attribute in changed:
            setattr(user, attribute, attributes[attribute])
        with transaction.atomic():
            user.save(update_fields=changed)
    return user


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
