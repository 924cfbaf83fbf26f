"""Property tests of ``POST /webhooks/alertmanager`` over real HTTP, with the right token.

Whatever the body (any JSON value, a real Alertmanager body with fields broken, a valid body
with odd but legal content, or raw bytes), the answer is 200 with the incidents it touched or a
4xx with a JSON ``detail``: never a 5xx, never the "kept, but failed" fallback (an exception the
intake did not expect), and the app stays healthy.
"""

from __future__ import annotations

import copy
import json
import logging
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.alerts import FIXTURES, alert, captured, notification
from tests.properties.conftest import Served

pytestmark = pytest.mark.properties

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_BODY = 1024 * 1024  # the policy's default ``alerting.max_body_bytes``

BASES = [captured(path.stem) for path in sorted(FIXTURES.glob("*.json")) if "." not in path.stem]
assert len(BASES) >= 4

# --- values -----------------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)  # surrogates too
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and ±Infinity become the bare literals json.loads accepts
    ANY_TEXT,
    st.sampled_from([10**30, -(10**30), 2**63, 2**31, -1, 0, 1e308, -0.0]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=16,
)


def _huge(char: str, size: int) -> str:
    return char * size


HUGE_TEXT = st.builds(
    _huge, st.sampled_from(["x", "é", "\x00", "\ud800", "💥", '"', "\\"]), st.integers(0, 300_000)
)
AWARE = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.integers(-1439, 1439).map(lambda minutes: timezone(timedelta(minutes=minutes))),
)
ODD_DATES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00+01:00",  # year 0 once in UTC
            "9999-12-31T23:59:59-05:00",  # year 10000 once in UTC
            "9999-12-31T23:59:59.999999Z",
            "2026-02-30T00:00:00Z",
            "2026-11-28T08:38:25.123456789Z",
            "2026-11-28T08:38:25Z ",
            "2026-11-28T24:00:00Z",
            "2026-11-28T08:38:25+24:00",
            "2026-11-28T08:38:25",
            "2026-11-28",
            "08:38:25",
            "now",
            "",
            "1e400",
            "P1D",
        ]
    ),
    st.sampled_from([0, -1, 1e20, -1e20, 253402300800, 2**63, 1.5, True]),
    AWARE.map(lambda moment: moment.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat()),  # no timezone
)


def _nested(depth: int, as_dict: bool) -> Any:
    value: Any = None
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    return value


NESTED = st.builds(_nested, st.integers(1, 400), st.booleans())  # deeper: see RAW_BODIES
WEIRD = st.one_of(JSON, HUGE_TEXT, ODD_DATES, NESTED, ANY_TEXT)

# --- bodies -----------------------------------------------------------------------------------

Path = tuple[str | int, ...]


def _paths(node: Any, prefix: Path = ()) -> Iterator[Path]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _at(body: Any, path: Path) -> Any:
    for part in path:
        body = body[part]
    return body


@st.composite
def broken_bodies(draw: st.DrawFn) -> Any:
    """A real body with 1 to 4 mutations: a value replaced, a key dropped, garbage added."""
    body = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(body))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _at(body, path[:-1]), path[-1]
        operation = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if operation == "replace":
            parent[last] = draw(WEIRD)
        elif operation == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(ANY_TEXT)] = draw(WEIRD)
        else:
            parent.append(draw(WEIRD))
    return body


ALERT_FIELDS = ["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL"]
ALERT_FIELDS += ["fingerprint"]
TOP_FIELDS = ["version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels"]
TOP_FIELDS += ["commonLabels", "commonAnnotations", "externalURL", "alerts"]


@st.composite
def field_broken_bodies(draw: st.DrawFn) -> Any:
    """A real body with one known field of one alert (or of the body) wrong or missing."""
    body = copy.deepcopy(draw(st.sampled_from(BASES)))
    target = draw(st.sampled_from(["alert", "top"]))
    holder = draw(st.sampled_from(body["alerts"])) if target == "alert" else body
    field = draw(st.sampled_from(ALERT_FIELDS if target == "alert" else TOP_FIELDS))
    if draw(st.booleans()):
        holder.pop(field, None)
    else:
        holder[field] = draw(ODD_DATES if field in ("startsAt", "endsAt") else WEIRD)
    return body


# Valid content the databases must take: any code point but NUL and lone surrogates.
STORABLE = st.characters(codec=None, exclude_categories=["Cs"], exclude_characters="\x00")
VALID_TEXT = st.one_of(
    st.text(STORABLE, max_size=40),
    st.builds(_huge, st.sampled_from(["x", "é", "💥", '"', "\\", "\n"]), st.integers(0, 20_000)),
)
KEYS = st.one_of(st.sampled_from(["alertname", "service", "severity", "summary"]), VALID_TEXT)
LABELS = st.dictionaries(KEYS, VALID_TEXT, max_size=5)
LABELS |= st.fixed_dictionaries(  # what opens an incident, each part odd
    {
        "alertname": VALID_TEXT,
        "service": VALID_TEXT,
        "severity": st.sampled_from(["critical", "warning"]) | VALID_TEXT,
        "summary": VALID_TEXT,
    }
)


@st.composite
def odd_valid_bodies(draw: st.DrawFn) -> Any:
    """A body that passes validation but carries odd content: the database must take it."""
    alerts = []
    for _ in range(draw(st.integers(1, 3))):
        item = alert(
            draw(st.text(STORABLE, min_size=1, max_size=64)),
            status=draw(st.sampled_from(["firing", "firing", "resolved"])),
            starts_at=draw(AWARE).isoformat(),
            ends_at=draw(st.one_of(st.just("0001-01-01T00:00:00Z"), AWARE.map(datetime.isoformat))),
        )
        item["labels"] = draw(LABELS)
        item["annotations"] = draw(LABELS)
        item["generatorURL"] = draw(st.text(STORABLE, max_size=2048))
        alerts.append(item)
    group = draw(st.uuids()).hex + draw(st.text(STORABLE, max_size=50))  # mostly new groups
    return notification(
        "g",
        alerts,
        groupKey=draw(st.just(group) | st.text(STORABLE, min_size=8000, max_size=8192)),
        groupLabels=draw(LABELS),
        commonLabels=draw(LABELS),
        commonAnnotations=draw(LABELS),
        receiver=draw(st.text(STORABLE, max_size=256)),
        externalURL=draw(st.text(STORABLE, max_size=2048)),
        truncatedAlerts=draw(st.integers(0, 2**31 - 1)),
    )


RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b"{}",
            b"\xef\xbb\xbf{}",  # UTF-8 BOM
            json.dumps(BASES[0]).encode("utf-16"),  # json.loads(bytes) reads UTF-16 too
            json.dumps(BASES[0]).encode("utf-32"),
            b"\xef\xbb\xbf" + json.dumps(BASES[0]).encode(),
            b"[" * 100_000,  # past the recursion limit
            b"[" * 100_000 + b"]" * 100_000,
            b"1" * 5000,  # past int()'s 4300-digit limit
            b'{"truncatedAlerts": ' + b"9" * 5000 + b"}",
            b"NaN",
            b"-Infinity",
            json.dumps(BASES[0]).encode()[:-1],
            json.dumps(BASES[0]).encode() + b"garbage",
            json.dumps(BASES[0]).encode().replace(b'"firing"', b'"\xff"'),
            b"x" * (MAX_BODY + 1),
        ]
    ),
)

# --- the property -----------------------------------------------------------------------------


def post(served: Served, body: bytes) -> httpx.Response:
    return served.http.post(
        "/webhooks/alertmanager?wait=true",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {served.secret('alertmanager_token')}",
        },
    )


def encode(payload: Any) -> bytes:
    return json.dumps(payload).encode()  # NaN/Infinity and lone surrogates (escaped) included


def assert_answered(served: Served, body: bytes) -> httpx.Response:
    reply = post(served, body)
    assert reply.status_code < 500, (reply.status_code, reply.text[:500], body[:300])
    assert reply.headers["content-type"] == "application/json", reply.headers
    answer = reply.json()
    if reply.status_code == 200:
        assert "stored" not in answer, (answer, body[:300])  # the intake raised, body kept
        assert isinstance(answer["incidents"], list)
        assert all(isinstance(number, int) for number in answer["incidents"])
    else:
        assert 400 <= reply.status_code < 500
        assert isinstance(answer["detail"], str) and answer["detail"], answer
    assert served.healthy()
    return reply


@pytest.fixture(scope="module", autouse=True)
def _still_healthy(served: Served) -> Iterator[None]:
    yield
    assert served.healthy()
    assert served.http.get("/readyz").status_code == 200


@SETTINGS
@given(JSON)
def test_any_json_value(served: Served, payload: Any) -> None:
    assert_answered(served, encode(payload))


@SETTINGS
@given(broken_bodies())
def test_real_bodies_with_broken_parts(served: Served, payload: Any) -> None:
    assert_answered(served, encode(payload))


@SETTINGS
@given(field_broken_bodies())
@example(
    {**BASES[0], "alerts": [{**BASES[0]["alerts"][0], "startsAt": "0001-01-01T00:00:00+01:00"}]}
)
@example({**BASES[0], "alerts": [{**BASES[0]["alerts"][0], "endsAt": "9999-12-31T23:59:59-05:00"}]})
def test_real_bodies_with_one_field_wrong(served: Served, payload: Any) -> None:
    assert_answered(served, encode(payload))


@SETTINGS
@given(odd_valid_bodies())
def test_valid_bodies_with_odd_content(served: Served, payload: Any) -> None:
    body = encode(payload)
    reply = assert_answered(served, body)
    assert reply.status_code == (413 if len(body) > MAX_BODY else 200), reply.text[:500]


@settings(SETTINGS, max_examples=60)
@given(RAW_BODIES)
def test_raw_bytes(served: Served, body: bytes) -> None:
    assert_answered(served, body)


def test_valid_body_still_opens_an_incident(served: Served) -> None:
    body = notification("property-check", [alert(f"fp{datetime.now(UTC).timestamp()}")])
    reply = post(served, encode(body))
    assert reply.status_code == 200, reply.text
    assert reply.json()["incidents"]


def _with_alert(**fields: Any) -> bytes:
    first = {**BASES[0]["alerts"][0], **fields}
    return encode({**BASES[0], "alerts": [first]})


def _with_label(name: str, value: str) -> bytes:
    first = BASES[0]["alerts"][0]
    return _with_alert(labels={**first["labels"], name: value})


# What the fuzzing found: each answered 500 (or 200 with the body kept as failed) before.
FOUND = {
    "utf-16": (json.dumps(BASES[0]).encode("utf-16"), "not UTF-8"),
    "utf-32": (json.dumps(BASES[0]).encode("utf-32"), "not UTF-8"),
    "deep nesting": (b"[" * 100_000, "nested too deeply"),
    "5000-digit number": (b'{"version": ' + b"9" * 5000 + b"}", "4300 digits"),
    "starts in year 0 in UTC": (
        _with_alert(startsAt="0001-01-01T00:00:00+01:00"),
        "alerts[0].startsAt",
    ),
    "starts in year 10000 in UTC": (
        _with_alert(startsAt="9999-12-31T23:59:59-05:00"),
        "alerts[0].startsAt",
    ),
    "ends in year 10000 in UTC": (
        _with_alert(endsAt="9999-12-31T23:59:59-05:00"),
        "alerts[0].endsAt",
    ),
    "truncatedAlerts past 32 bits": (encode({**BASES[0], "truncatedAlerts": 2**31}), "trunc"),
    "NUL in a label": (_with_label("service", "api\x00"), "NUL"),
    "NUL in a label name": (_with_label("a\x00", "x"), "NUL"),
    "lone surrogate in a label": (_with_label("alertname", "\ud800"), "surrogate"),
    "lone surrogate in the group key": (encode({**BASES[0], "groupKey": "\udfff"}), "groupKey"),
}


@pytest.mark.parametrize(("body", "detail"), FOUND.values(), ids=FOUND.keys())
def test_found_by_fuzzing_is_refused_with_422(served: Served, body: bytes, detail: str) -> None:
    reply = post(served, body)
    assert reply.status_code == 422, reply.text[:500]
    assert detail in reply.json()["detail"]


def test_utf8_bom_still_accepted(served: Served) -> None:
    body = notification("bom-check", [alert(f"bom{datetime.now(UTC).timestamp()}")])
    reply = post(served, b"\xef\xbb\xbf" + encode(body))
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize("path", ["/webhooks/alertmanager", "/slack/events"])
def test_client_gone_mid_body_is_no_unhandled_exception(served: Served, path: str) -> None:
    errors: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = errors.append  # type: ignore[method-assign]
    server_log = logging.getLogger("uvicorn.error")
    server_log.addHandler(handler)
    host, port = served.url.removeprefix("http://").split(":")
    token = served.secret("alertmanager_token")
    try:
        with socket.create_connection((host, int(port))) as raw:
            raw.sendall(
                f"POST {path} HTTP/1.1\r\nHost: opsbot\r\nAuthorization: Bearer {token}\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{}".encode()
            )
            time.sleep(0.3)  # the app is reading the body
        time.sleep(0.3)  # the app notices the disconnect
    finally:
        server_log.removeHandler(handler)
    assert [record.getMessage() for record in errors] == []
    assert served.healthy()
