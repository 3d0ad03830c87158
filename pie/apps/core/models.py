"""The service's user: a local shadow of an LMS user, created from JWT claims."""

from django.contrib.auth.models import AbstractUser

from pie.apps.core.lms import lms_user_id_field


class User(AbstractUser):
    """
    A user of PIE: a learner, a backend service's user, or an operator.

    ``lms_user_id`` is the JWT's ``user_id`` claim, copied at each authentication
    (``users.user_for_claims``) and at each sign-in through the LMS.

    .. pii: username, email, first and last name and lms_user_id identify a person; a
       learner's row is deleted when the learner is retired (POST /api/v1/retire_user/).
    .. pii_types: username, email_address, name, id
    .. pii_retirement: local_api
    """

    lms_user_id = lms_user_id_field(
        null=True, blank=True, unique=True, help_text="The learner's user id in the LMS (the JWT user_id claim)."
    )

    class Meta:
        db_table = "core_user"

    def __str__(self):
        return self.username
