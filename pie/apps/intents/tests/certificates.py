"""Program-certificate events as the credentials service sends them, delivered in process as the consumer does."""

import uuid
from datetime import UTC, datetime

from openedx_events.learning.data import ProgramCertificateData, ProgramData, UserData, UserPersonalData

PROGRAM = "6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e"
TIME = datetime(2025, 5, 17, 9, 41, 7, 250000, tzinfo=UTC)


def certificate(*, lms_user_id=7, program_uuid=PROGRAM, user="default", program="default", status="awarded"):
    if user == "default":
        pii = UserPersonalData(username="learner", email="learner@example.com", name="A Learner")
        user = UserData(id=lms_user_id, is_active=True, pii=pii)
    if program == "default":
        program = ProgramData(uuid=program_uuid, title="A program", program_type="professional-certificate")
    return ProgramCertificateData(
        user=user, program=program, uuid=str(uuid.uuid4()), status=status, url="https://credentials.example.com/c/1/"
    )


def send(signal, program_certificate, *, time=TIME):
    """Send the signal as the consumer does, and return the receivers' answers."""
    responses = signal.send_event(time=time, program_certificate=program_certificate)
    errors = [response for _, response in responses if isinstance(response, BaseException)]
    assert not errors, f"a receiver raised: {errors}"
    return responses
