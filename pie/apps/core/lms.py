"""
Facts about the LMS that every app of PIE relies on, stated once.

``core``, ``intents`` and ``api`` all import from here; this module imports nothing of PIE.
"""

# The LMS's auth_user.id is a signed 32-bit integer.
MAX_LMS_USER_ID = 2**31 - 1

# The JWT payload version the LMS writes (edx-drf-extensions' JWT_SUPPORTED_VERSION).
LMS_JWT_VERSION = "1.2.0"


def is_lms_user_id(value) -> bool:
    """Whether ``value`` can be an LMS user id: an ``int`` (not a ``bool``) from 1 to ``MAX_LMS_USER_ID``."""
    return type(value) is int and 0 < value <= MAX_LMS_USER_ID
