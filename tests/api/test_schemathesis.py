"""Property-based run of the whole API against its own OpenAPI schema (schemathesis 4, in process).

The schema is loaded from /api/schema/ through the WSGI application; every operation is called with
data generated from it — valid (positive) and invalid (negative) — as a caseworker with a token, both
with random ids and with the ids of real cases, letters and documents. The property: no operation ever
answers with a server error (5xx); and every answer conforms to the schema (status code, content type,
body) and invalid data is refused. Valid data refused by a business rule (400 naming the field) is only
reported.

Bounded: SCHEMATHESIS_EXAMPLES examples per operation and mode (env, default 50), about a minute.
Run it alone with:  .venv/bin/python -m pytest tests/api/test_schemathesis.py -q -p no:cacheprovider -s
"""

import os

import pytest
from hypothesis.errors import Unsatisfiable
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from recovery.access.documents import document_store
from recovery.models import Letter

from .conftest import client_for, pdf_file

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "50"))


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, in this thread and this test's transaction. Like Django's test
    client, keep request start/end from closing the connection (that would end the test transaction on
    PostgreSQL). Do not use Django's test client inside: it connects close_old_connections again."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def real_ids(world):
    """Ids of real objects (made without Django's test client, which would reconnect close_old_connections)."""
    letter = Letter.objects.filter(case=world.main).first()
    doc = document_store(uploaded=pdf_file(), purpose="dispute", actor=world.por, case=world.main)
    return {"{id}": world.main.pk, "letters/{id}": letter.pk, "{key}": str(doc.key)}


def fixed_path_parameters(operation, ids):
    path = operation.path
    params = {}
    if "{key}" in path:
        params["key"] = ids["{key}"]
    if "{id}" in path:
        params["id"] = ids["letters/{id}"] if path.startswith("/api/letters/") else ids["{id}"]
    return params


# Schema-valid data refused by a rule the schema cannot express (a date in the future, a settlement before
# the incident, a claim id of another case, wrong credentials, bytes that are not a PDF): a 400 naming the
# field is the right answer, so this finding is reported, not failed on.
REJECTED = "Schema-valid request rejected"


def titles_of(exc) -> list[str]:
    failures = getattr(exc, "exceptions", None) or [exc]
    return sorted({getattr(f, "title", type(f).__name__) for f in failures})


def describe(exc) -> str:
    """A one-line summary of a schemathesis failure group (titles of the failures and the status)."""
    titles = titles_of(exc)
    return "; ".join(titles)[:300] + (("\n" + str(exc)[:1500]) if os.environ.get("SCHEMATHESIS_VERBOSE") else "")


def test_no_operation_answers_with_a_server_error(world, wsgi_app, capsys):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    token = client_for(world.caseworker)._credentials["HTTP_AUTHORIZATION"]
    ids = real_ids(world)
    server_errors, nonconforming, other_findings, calls = [], {}, {}, {"n": 0}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        runs = [(GenerationMode.POSITIVE, {}), (GenerationMode.NEGATIVE, {})]
        fixed = fixed_path_parameters(operation, ids)
        if fixed:
            runs.append((GenerationMode.POSITIVE, fixed))
        for mode, path_parameters in runs:
            strategy = operation.as_strategy(generation_mode=mode, headers={"Authorization": token},
                                             path_parameters=path_parameters or None)

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def call(case):
                response = case.call(headers={"Authorization": token})
                calls["n"] += 1
                if response.status_code >= 500:
                    server_errors.append(f"{case.method} {case.formatted_path} -> {response.status_code}\n"
                                         f"{case.as_curl_command()}")
                    return
                try:
                    case.validate_response(response, excluded_checks=[not_a_server_error])
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 — for the report, not the property
                    key = f"{operation.label} [{mode}]"
                    nonconforming.setdefault(key, describe(exc))
                    if any(title != REJECTED for title in titles_of(exc)):
                        other_findings.setdefault(key, describe(exc))

            try:
                call()
            except Unsatisfiable:
                # An operation with no parameters and no body (DELETE /api/token/) has no invalid input
                # to generate; in positive mode there is always one, so there it is a real failure.
                if mode != GenerationMode.NEGATIVE:
                    raise

    with capsys.disabled():
        print(f"\nschemathesis: {len(operations)} operations, {calls['n']} calls, "
              f"{len(server_errors)} server errors, {len(nonconforming)} operation/mode pairs with other findings")
        for key, finding in sorted(nonconforming.items()):
            print(f"  {key}: {finding}")
    assert server_errors == [], "\n\n".join(server_errors[:10])
    # Responses match the schema (status codes, content types, bodies) and invalid data is refused.
    assert other_findings == {}
