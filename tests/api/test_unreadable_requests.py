"""Hostile input answers 400/404 with a stable code on both databases, never 500.

Each case was a 500 once (PostgreSQL cannot store NUL; the JSON decoder raised outside its own
error type on bad UTF-8 and on deep nesting). The explicit cases pin each one; the property
walks every operation of the service's own OpenAPI document with generated path, query, header
and body values, schemathesis-style, so a new endpoint is covered without being listed.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from creditbank.storage.access import create_token
from creditbank.storage.engine import create_engine
from creditbank.tokens import Principal
from portal.errors import API_PREFIXES
from tests.api.conftest import ISSUER_ID, settings_for
from tests.factories import issuer_registration, outcome_record, resident_id

PROBLEM = "application/problem+json"
NUL_ID = quote("x\x00y")


@dataclass
class Service:
    client: TestClient[Litestar]
    headers: dict[str, dict[str, str]]
    operations: list[tuple[str, str, dict[str, Any]]]


async def _tokens(database_url: str) -> dict[str, str]:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            return {
                "issuer": await create_token(
                    connection, Principal(role="issuer", issuer_id=ISSUER_ID)
                ),
                "accreditor": await create_token(connection, Principal(role="accreditor")),
            }
    finally:
        await engine.dispose()


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> Iterator[Service]:
    app = create_app(settings_for(database_url, tmp_path), announce_admin_token=False)
    with TestClient(app=app) as client:
        tokens = {"admin": app.state.bootstrap_admin_token, **asyncio.run(_tokens(database_url))}
        headers = {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
        client.post(
            "/v1/issuers",
            content=msgspec.json.encode(issuer_registration(ISSUER_ID)),
            headers=headers["admin"] | {"Content-Type": "application/json"},
        ).raise_for_status()
        schema = client.get("/schema/openapi.json").json()
        operations = [
            (method.upper(), path, operation)
            for path, item in schema["paths"].items()
            for method, operation in item.items()
            if method in ("get", "post", "put", "delete")
        ]
        yield Service(client=client, headers=headers, operations=operations)


def _record(serial: int, **changes: object) -> dict[str, Any]:
    return msgspec.to_builtins(outcome_record(serial, **changes))  # type: ignore[no-any-return]


def _assert_refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code


def _every_path_with_a_parameter(service: Service) -> list[tuple[str, str]]:
    return [
        (method, re.sub(r"\{[^}]+\}", NUL_ID, path))
        for method, path, _ in service.operations
        if "{" in path
    ]


def test_nul_in_any_path_parameter_is_400_for_every_role(service: Service) -> None:
    """A NUL in any path parameter, for any role that passes the route's guard, is refused
    before a handler or database sees it (PostgreSQL raised on it: 500); where the parameter
    is an integer no route matches, which is 404."""
    paths = _every_path_with_a_parameter(service)
    assert len(paths) >= 10, paths
    refused: list[str] = []
    for method, path in paths:
        for role in ("admin", "issuer", "accreditor"):
            response = service.client.request(method, path, headers=service.headers[role])
            if response.status_code in (401, 403, 405):
                continue  # the guard answered first: no handler was reached
            assert response.headers["content-type"].startswith(PROBLEM)
            answer = (response.status_code, response.json()["code"])
            # An integer parameter that is not one matches no route at all: 404.
            assert answer in {(400, "nul_character"), (404, "not_found")}, (path, answer)
            refused.append(answer[1])
    assert refused.count("nul_character") >= 8, refused


def test_nul_in_query_and_header_is_400(service: Service) -> None:
    """NUL in a query value (raw or percent-encoded) or in a header value is refused."""
    admin = service.headers["admin"]
    learner = "0" * 64
    for query in ("page=%00", "issuer=a%00b"):
        response = service.client.get(f"/v1/learners/{learner}/archive?{query}", headers=admin)
        _assert_refused(response, 400, "nul_character")
    response = service.client.get("/v1/log/checkpoint", headers={"X-Note": "a\x00b"})
    _assert_refused(response, 400, "nul_character")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"issuer_id": "acme-training", "record_id": "\xff\xfe"}', "invalid_utf8"),
        (b"[" * 10_000 + b"]" * 10_000, "nesting_too_deep"),
        (b'{"a": ' * 5_000 + b"1" + b"}" * 5_000, "nesting_too_deep"),
        (b'{"issuer_id": "acme-training", "record_id": "R\\u0000"}', "nul_character"),
        (b'{"record\\u0000": 1}', "nul_character"),
    ],
    ids=["bad-utf8", "deep-array", "deep-object", "nul-in-value", "nul-in-key"],
)
def test_unreadable_json_bodies_are_400(service: Service, body: bytes, code: str) -> None:
    """Bodies that raised outside the decoder's error type, or carry NUL, answer 400."""
    for path, role in (("/v1/outcomes", "issuer"), ("/v1/issuers", "admin")):
        headers: dict[str, str | bytes] = service.headers[role] | {
            "Content-Type": "application/json"
        }
        _assert_refused(service.client.post(path, content=body, headers=headers), 400, code)


def test_an_escaped_backslash_before_u0000_is_not_a_nul(service: Service) -> None:
    """``"\\\\u0000"`` is a backslash and five characters, not NUL: the body is decoded, not
    searched, before it is refused."""
    record = _record(1, course_title="C:\\u0000 drive")
    headers = service.headers["issuer"] | {"Content-Type": "application/json"}
    response = service.client.post("/v1/outcomes", content=json.dumps(record), headers=headers)
    assert response.status_code == 201, response.text


# The property: any operation, any generated value, never a 500 ------------------------------

HOSTILE_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["\x00", "a\x00", "\u202e1-RH", "HR\u200b-1", "%", "%zz", "..", "/", "\\"]),
    st.text(alphabet=st.sampled_from("\x00\u200b\u202e\ufeffaé1-%/"), max_size=8),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | HOSTILE_TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(HOSTILE_TEXT, children, max_size=3)
    ),
    max_leaves=8,
)
BODIES = st.one_of(
    st.binary(max_size=40),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.integers(min_value=50, max_value=3_000).map(lambda depth: b"[" * depth + b"]" * depth),
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_generated_request_is_answered_500(service: Service, data: st.DataObject) -> None:
    """Every operation of the OpenAPI document, with generated path parameters, query values,
    a header and a body, for a generated role: the answer is a success or a problem with a
    stable code (as JSON, or as a page where the path left /v1), never a 5xx."""
    method, template, operation = data.draw(st.sampled_from(service.operations))
    path = re.sub(r"\{[^}]+\}", lambda _: quote(data.draw(HOSTILE_TEXT) or "x", safe=""), template)
    query = {
        parameter["name"]: data.draw(HOSTILE_TEXT)
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "query" and data.draw(st.booleans())
    }
    role = data.draw(st.sampled_from(sorted(service.headers)))
    headers: dict[str, str | bytes] = service.headers[role] | {
        "Content-Type": "application/json",
        "X-Probe": data.draw(HOSTILE_TEXT).encode(),  # any bytes, NUL and UTF-8 included
    }
    body = data.draw(BODIES) if method in ("POST", "PUT") else None
    response = service.client.request(method, path, params=query, content=body, headers=headers)
    assert response.status_code < 500, (method, path, query, body, response.text)
    if response.status_code >= 400 and response.request.url.path.startswith(API_PREFIXES):
        assert response.headers["content-type"].startswith(PROBLEM), response.text
        assert response.json()["code"]
    elif response.status_code >= 400:
        # ".." in a parameter took the path out of the API (the client resolves it, as
        # browsers do): a page's path, so the same problem is answered as a page with its code.
        assert response.headers["content-type"].startswith("text/html"), response.text
        assert 'class="code"' in response.text


# Semantic refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record_id", ["HR\u200b-1", "\u202e1-RH", "HR-1\ufeff", "HR\u00ad1"], ids=repr
)
def test_identifiers_with_invisible_format_characters_are_refused(
    service: Service, record_id: str
) -> None:
    """A record id with a format character (Cf) would be a second record that looks like
    ``HR-1``: refused, naming the field."""
    headers = service.headers["issuer"] | {"Content-Type": "application/json"}
    record = _record(7, record_id=record_id)
    response = service.client.post("/v1/outcomes", content=json.dumps(record), headers=headers)
    _assert_refused(response, 422, "malformed")
    assert response.json()["errors"][0]["field"] == "record_id"


def test_a_decomposed_identifier_is_the_same_record_as_the_composed_one(
    service: Service,
) -> None:
    """``é`` composed and ``e`` + combining acute are one record id (NFC): the second send is
    ``exists`` at the same index, not a second record."""
    headers = service.headers["issuer"] | {"Content-Type": "application/json"}
    answers = []
    for record_id in ("Café-1", "Cafe\u0301-1"):
        record = _record(8, record_id=record_id)
        response = service.client.post("/v1/outcomes", content=json.dumps(record), headers=headers)
        assert response.status_code in (200, 201), response.text
        answers.append(response.json())
    assert [answer["status"] for answer in answers] == ["recorded", "exists"]
    assert answers[0]["index"] == answers[1]["index"]


def test_a_completion_before_the_learners_birth_is_refused(service: Service) -> None:
    """The resident ID number carries the birth date: a completion before it is malformed."""
    headers = service.headers["issuer"] | {"Content-Type": "application/json"}
    born = datetime.date(2001, 3, 4)
    record = _record(9, learner_id=resident_id(9, born), completed_on=datetime.date(2001, 3, 3))
    response = service.client.post("/v1/outcomes", content=json.dumps(record), headers=headers)
    _assert_refused(response, 422, "malformed")
    assert response.json()["errors"][0]["field"] == "completed_on"
    record["completed_on"] = "2001-03-04"
    response = service.client.post("/v1/outcomes", content=json.dumps(record), headers=headers)
    assert response.status_code == 201, response.text


def test_an_admin_asking_for_an_unknown_learner_gets_404(service: Service) -> None:
    """An empty archive would read as "this person learned nothing"; for a learner the log
    knows nothing about, an admin is told there is none."""
    admin = service.headers["admin"]
    for suffix in ("archive", "archive/export"):
        response = service.client.get(f"/v1/learners/{'1' * 64}/{suffix}", headers=admin)
        _assert_refused(response, 404, "not_found")
