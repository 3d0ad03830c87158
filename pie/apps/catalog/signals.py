"""The catalog's signal: sent by a copy that changed programs, in its transaction."""

from django.dispatch import Signal

# Sent with no sender; program_uuids: the programs a copy added or changed; copied_at: the copy's time. The
# engagement app re-evaluates those programs' learners (their rules may complete or break).
catalog_changed = Signal()
