"""What keeps the request path cheap, held by stable counts rather than timings (make bench-api measures)."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from jwt.algorithms import RSAAlgorithm

from pie.apps.core import jwt_decode
from pie.apps.intents import selectors
from pie.apps.intents.tests.factories import ProgramIntentFactory
from pie.tests.support.api_clients import LIST_URL
from pie.tests.support.tokens import lms_claims, sign_with_development_key


def counting(monkeypatch, owner, name):
    """Wrap ``owner.name`` so that its calls are counted; return the list of calls."""
    calls, original = [], getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.fixture
def fresh_key_cache():
    jwt_decode._verification_keys.cache_clear()
    yield
    jwt_decode._verification_keys.cache_clear()


@pytest.mark.django_db
def test_one_request_decodes_its_token_once(client_with_token, monkeypatch, fresh_key_cache):
    client = client_with_token(sign_with_development_key(lms_claims()))
    decodes = counting(monkeypatch, jwt_decode, "decode_token")
    assert client.get(LIST_URL).status_code == 200
    assert len(decodes) == 1
    assert client.get(LIST_URL).status_code == 200
    assert len(decodes) == 2  # the next request verifies again: the cache lasts one request


@pytest.mark.django_db
def test_the_key_set_is_parsed_once_across_requests_and_again_when_the_setting_changes(
    client_with_token, settings, monkeypatch, fresh_key_cache
):
    parses = counting(monkeypatch, jwt_decode.PyJWKSet, "from_json")
    client = client_with_token(sign_with_development_key(lms_claims()))
    for _ in range(5):
        assert client.get(LIST_URL).status_code == 200
    assert len(parses) == 1
    other = json.loads(RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()))
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_PUBLIC_SIGNING_JWK_SET": json.dumps({"keys": [other]})}
    assert client.get(LIST_URL).status_code == 401  # the development key is no longer trusted
    assert len(parses) == 2


@pytest.mark.django_db
def test_the_selectors_sql_is_written_once_and_the_orm_compiles_nothing(monkeypatch, django_assert_num_queries):
    for n in range(3):
        ProgramIntentFactory(lms_user_id=7, certainty="MAYBE" if n else "CERTAIN_YES")
    first = selectors.most_recent_and_certain(lms_user_id=7)
    # Writing the read's SQL quotes the table's and columns' names; the reads after the
    # first quote none: they send the SQL written once, in one query each.
    quoted = counting(monkeypatch, connection.ops, "quote_name")
    compiled = counting(monkeypatch, SQLCompiler, "as_sql")
    with django_assert_num_queries(10):
        answers = [selectors.most_recent_and_certain(lms_user_id=7) for _ in range(10)]
    assert quoted == []
    assert compiled == []
    assert all(answer == first for answer in answers)
    assert len(first) == 3
