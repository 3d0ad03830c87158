"""
Copy the program catalog from course-discovery into PIE, all or nothing.

    python manage.py copy_catalog [--delete] [--page-size N]

Reads ``{COURSE_CATALOG_API_URL}programs/?exclude_utm=1`` page after page, authenticated
with PIE's backend-service client credentials at the LMS, within the bounds of the
``PIE_CATALOG_*`` settings, then replaces the catalog in one transaction. A copy that cannot
finish changes nothing and exits with status 1 and one line. Programs missing from the
listing are kept unless ``--delete`` is given (as credentials' ``copy_catalog``), which
needs a listing whose own count is what was read; no intent is ever deleted.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from pie.apps.catalog import discovery, services

SETTINGS = (
    "COURSE_CATALOG_API_URL",
    "BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL",
    "BACKEND_SERVICE_EDX_OAUTH2_KEY",
    "BACKEND_SERVICE_EDX_OAUTH2_SECRET",
)


class Command(BaseCommand):
    help = "Copy the program catalog (programs, their courses and runs) from course-discovery, all or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--delete", action="store_true", help="remove the programs that the complete listing no longer has"
        )
        parser.add_argument("--page-size", type=int, default=100, help="programs per page of discovery (default 100)")

    def handle(self, *args, delete: bool, page_size: int, **options) -> None:
        missing = [name for name in SETTINGS if not getattr(settings, name, None)]
        if missing:
            raise CommandError(f"Set {', '.join(missing)} to copy the catalog from course-discovery.")
        if not 1 <= page_size <= 1000:
            raise CommandError("--page-size must be between 1 and 1000.")
        session = discovery.client(
            provider_url=settings.BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL,
            client_id=settings.BACKEND_SERVICE_EDX_OAUTH2_KEY,
            client_secret=settings.BACKEND_SERVICE_EDX_OAUTH2_SECRET,
            timeout=settings.PIE_CATALOG_REQUEST_TIMEOUT_SECONDS,
        )
        try:
            listed = discovery.listed_programs(
                session,
                api_url=settings.COURSE_CATALOG_API_URL,
                page_size=page_size,
                limits=discovery.Limits(
                    answer_seconds=settings.PIE_CATALOG_REQUEST_TIMEOUT_SECONDS,
                    copy_seconds=settings.PIE_CATALOG_COPY_TIMEOUT_SECONDS,
                    max_pages=settings.PIE_CATALOG_MAX_PAGES,
                    max_page_bytes=settings.PIE_CATALOG_MAX_PAGE_BYTES,
                    max_retry_after_seconds=settings.PIE_CATALOG_MAX_RETRY_AFTER_SECONDS,
                ),
                complete=delete,
                on_page=self._progress,
                on_wait=self.stderr.write,
            )
            outcome = services.replace_catalog(listed, delete=delete, copied_at=timezone.now())
        except discovery.CatalogUnavailable as error:
            raise CommandError(f"The catalog was not copied (nothing changed): {error}") from error
        except DatabaseError as error:
            raise CommandError(f"The catalog was not copied (nothing changed): the database failed: {error}") from error
        finally:
            session.close()
        summary = (
            f"Copied {len(listed)} programs from course-discovery: {len(outcome.added)} added, "
            f"{len(outcome.changed)} changed, {outcome.unchanged} unchanged"
        )
        if outcome.removed:
            summary += f", {len(outcome.removed)} removed (missing from the listing)"
        if outcome.missing_kept:
            summary += f"; {len(outcome.missing_kept)} missing from the listing kept (--delete removes them)"
        self.stdout.write(summary + ".")

    def _progress(self, page: int, programs: int, count: int | None) -> None:
        of = f" of {count}" if count is not None else ""
        self.stderr.write(f"course-discovery page {page}: {programs}{of} programs read")
