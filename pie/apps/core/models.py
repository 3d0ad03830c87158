"""The service's user: a local shadow of an LMS user, created from JWT claims."""

from django.contrib.auth.models import AbstractUser
from django.db import models

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


class RetiredLearner(models.Model):
    """
    A learner retired from PIE (their data-protection deletion): no write path records
    anything of them again, whatever arrives later (a warehouse load, a replayed event, a
    retried request, a token still valid), their local user included. Their LMS user id
    is not kept: only its salted hash
    (``retirement.learner_hashes``, keyed by ``PIE_RETIREMENT_SALTS``), as Open edX keeps
    retired identifiers.

    .. no_pii: A salted hash of a retired learner's LMS user id, not the id.
    """

    lms_user_id_hash = models.BigIntegerField(
        unique=True, help_text="A keyed BLAKE2b of the LMS user id under a retirement salt, 63 bits."
    )
    retired = models.DateTimeField(auto_now_add=True, help_text="When the learner was retired.")

    class Meta:
        # The table the intents app first made for it: the registry moved to core, its rows with it.
        db_table = "intents_retiredlearner"

    def __str__(self):
        return f"retired learner {self.lms_user_id_hash:x}"
