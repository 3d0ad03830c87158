"""
Print a JWT the running service accepts, for a developer without an LMS.

    python manage.py mint_jwt --lms-user-id 7 [--username learner7] [--administrator] [--expires-in 3600]
    curl -H "Authorization: JWT $(python manage.py mint_jwt --lms-user-id 7)" ...
"""

from django.core.management.base import BaseCommand, CommandError
from edx_rest_framework_extensions.auth.jwt.decoder import configured_jwt_decode_handler
from jwt.exceptions import InvalidTokenError

from pie.apps.core.lms import MAX_LMS_USER_ID, is_lms_user_id
from pie.apps.core.tokens import SigningKeyNotConfigured, mint_lms_jwt


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "Print an LMS-style JWT signed with the configured development key (local and test settings only)."

    def add_arguments(self, parser):
        parser.add_argument("--lms-user-id", type=_positive_int, required=True, help="The user_id claim.")
        parser.add_argument("--username", help="The preferred_username claim (default: learner<N>).")
        parser.add_argument("--email", help="The email claim (default: <username>@example.com).")
        parser.add_argument("--administrator", action="store_true", help="Set the administrator claim: staff in PIE.")
        parser.add_argument(
            "--expires-in", type=_positive_int, default=3600, help="Lifetime in seconds (default 3600)."
        )

    def handle(self, *args, lms_user_id, username, email, administrator, expires_in, **options):
        if not is_lms_user_id(lms_user_id):
            raise CommandError(f"--lms-user-id must be at most {MAX_LMS_USER_ID}.")
        try:
            token = mint_lms_jwt(
                lms_user_id=lms_user_id,
                username=username or f"learner{lms_user_id}",
                email=email,
                administrator=administrator,
                expires_in=expires_in,
            )
        except SigningKeyNotConfigured as error:
            raise CommandError(f"Cannot mint a token: {error}") from error
        # Decode with the service's own handler, so a token is printed only if the
        # service will accept it (e.g. the private key matches the public JWK set).
        try:
            configured_jwt_decode_handler(token)
        except InvalidTokenError as error:
            raise CommandError(f"The minted token does not verify with these settings: {error!r}") from error
        self.stdout.write(token)
