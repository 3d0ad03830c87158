"""
Facts about the LMS that every app of PIE relies on, stated once: above all the one rule of
what an LMS user id is, and how one is read at every door.

``core``, ``intents`` and ``api`` all import from here; this module imports nothing of PIE.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# The LMS's auth_user.id is a signed 32-bit integer.
MAX_LMS_USER_ID = 2**31 - 1
# Digits of the largest id: a longer text is refused before it is converted.
_MAX_DIGITS = len(str(MAX_LMS_USER_ID))

# The JWT payload version the LMS writes (edx-drf-extensions' JWT_SUPPORTED_VERSION).
LMS_JWT_VERSION = "1.2.0"

LMS_USER_ID_RULE = f"Must be a whole number from 1 to {MAX_LMS_USER_ID}."


def is_lms_user_id(value) -> bool:
    """Whether ``value`` is an LMS user id as such: an ``int`` (not a ``bool``) from 1 to ``MAX_LMS_USER_ID``."""
    return type(value) is int and 0 < value <= MAX_LMS_USER_ID


def parse_lms_user_id(value) -> int:
    """
    Read an LMS user id, as every door of PIE does (a body, a query, a CSV cell, an event).

    Accepted: a JSON integer in range (an ``int``, not a ``bool``), or a text of ASCII
    digits (leading zeros allowed, at most 10 of them) whose number is in range. Refused,
    with ``ValueError``: a sign, white space, underscores, other scripts' digits, a fraction
    or a float, whatever else. (A CSV cell's surrounding spaces are trimmed by the reader of
    the file, the one place they are.)
    """
    if type(value) is str and 0 < len(value) <= _MAX_DIGITS and value.isascii() and value.isdigit():
        value = int(value)
    if not is_lms_user_id(value):
        raise ValueError(LMS_USER_ID_RULE)
    return value


def lms_user_id_field(**options) -> models.PositiveIntegerField:
    """The column of an LMS user id, in every model that keeps one (labelled "LMS user ID", as the LMS writes it)."""
    options.setdefault("verbose_name", "LMS user ID")
    options.setdefault("help_text", "The learner's user id in the LMS.")
    return models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_LMS_USER_ID)], **options)
