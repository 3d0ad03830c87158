"""factory-boy factories for core's models."""

import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    """A local user, as a learner's token makes one: ``learner<lms_user_id>``."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    lms_user_id = factory.Sequence(lambda n: n + 1)
    username = factory.LazyAttribute(lambda user: f"learner{user.lms_user_id}")
