"""Faults against notion-client 3.1's own retries, and the timeout that hides a committed write.

notion-client retries ``rate_limited`` for every method (honouring ``Retry-After``, capped by
``max_retry_delay_ms``), ``internal_server_error``/``service_unavailable`` only for GET and
DELETE, and nothing else: not timeouts, not codes it does not know (``bad_gateway``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from notion_client import Client
from notion_client.client import RetryOptions
from notion_client.errors import (
    APIErrorCode,
    RequestTimeoutError,
    UnknownHTTPResponseError,
)

from bot.sandbox.notion import NotionFault, NotionState
from tests.waiting import wait_until

from .conftest import api_error, by_opsbot_id, incident_properties, parent

MakeClient = Callable[..., Client]


def create(client: Client, ds: str, opsbot_id: str = "incident-42") -> str:
    return str(
        client.pages.create(parent=parent(ds), properties=incident_properties(opsbot_id))["id"]
    )


def test_rate_limited_then_success_with_default_retry_options(
    make_client: MakeClient, ds: str, state: NotionState
) -> None:
    client = make_client(retry=RetryOptions())  # the library defaults: 2 retries
    state.add_fault(NotionFault("/v1/pages", "POST", "rate_limited", retry_after=0, times=1))
    page_id = create(client, ds)
    calls = state.calls("/v1/pages")
    assert [(c.status, c.code, c.fault) for c in calls] == [
        (429, "rate_limited", "rate_limited"),
        (200, None, None),
    ]
    assert [p["id"] for p in state.pages()] == [page_id]


def test_retry_after_is_capped_by_max_retry_delay(
    client: Client, ds: str, state: NotionState
) -> None:
    state.add_fault(NotionFault("/v1/data_sources", kind="rate_limited", retry_after=30, times=2))
    started = time.monotonic()
    assert by_opsbot_id(client, ds, "incident-42") == []
    assert time.monotonic() - started < 1.0  # 30 s asked, 50 ms (max_retry_delay_ms) waited
    assert [c.status for c in state.calls("/v1/data_sources/")] == [429, 429, 200]


def test_rate_limited_gives_up_after_max_retries(
    client: Client, ds: str, state: NotionState
) -> None:
    state.add_fault(NotionFault("/v1/pages", "POST", "rate_limited", retry_after=0))
    error = api_error(create, client, ds)
    assert (error.status, error.code) == (429, APIErrorCode.RateLimited)
    assert error.headers["retry-after"] == "0"
    assert state.count("POST", "/v1/pages") == 3 and state.pages() == []


def test_server_error_on_post_is_not_retried(client: Client, ds: str, state: NotionState) -> None:
    state.add_fault(NotionFault("/v1/pages", "POST", "error", status=500, times=1))
    error = api_error(create, client, ds)
    assert (error.status, error.code) == (500, APIErrorCode.InternalServerError)
    assert state.count("POST", "/v1/pages") == 1 and state.pages() == []


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_on_get_is_retried(
    client: Client, ds: str, state: NotionState, status: int
) -> None:
    page_id = create(client, ds)
    state.add_fault(NotionFault("/v1/pages/", "GET", "error", status=status, times=1))
    assert client.pages.retrieve(page_id)["id"] == page_id
    assert [c.status for c in state.calls("/v1/pages/")] == [status, 200]


def test_bad_gateway_is_unknown_to_the_client_and_not_retried(
    client: Client, ds: str, state: NotionState
) -> None:
    state.add_fault(NotionFault("/v1/data_sources/", "GET", "error", status=502, times=1))
    with pytest.raises(UnknownHTTPResponseError) as info:
        client.data_sources.retrieve(ds)
    assert info.value.status == 502
    assert state.count("GET", "/v1/data_sources/") == 1


def test_every_nth_call_fails(make_client: MakeClient, state: NotionState) -> None:
    client = make_client(retry=False)
    state.add_fault(NotionFault("/v1/users", kind="error", status=503, every=3))
    outcomes = []
    for _ in range(7):
        try:
            client.users.me()
            outcomes.append(True)
        except Exception:
            outcomes.append(False)
    assert [i for i, ok in enumerate(outcomes, 1) if not ok] == [3, 6]


def test_timeout_after_commit_creates_the_page_the_client_never_hears_of(
    make_client: MakeClient, ds: str, state: NotionState
) -> None:
    impatient = make_client(timeout_ms=300)
    state.add_fault(NotionFault("/v1/pages", "POST", "timeout_after_commit", delay=2.0, times=1))
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError):
        create(impatient, ds)
    assert time.monotonic() - started < 1.5
    assert state.count("POST", "/v1/pages") == 1  # a timeout is not retried by the client
    (entry,) = state.calls("/v1/pages")
    assert (entry.status, entry.fault) == (200, "timeout_after_commit")
    # opsbot's retry: look for the page by its opsbot id before creating it again
    found = by_opsbot_id(impatient, ds, "incident-42")
    assert [p["id"] for p in found] == [p["id"] for p in state.pages()]
    assert len(found) == 1 and state.count("POST", "/v1/pages") == 1


def test_a_naive_retry_after_a_commit_timeout_duplicates(
    make_client: MakeClient, ds: str, state: NotionState
) -> None:
    impatient = make_client(timeout_ms=300)
    state.add_fault(NotionFault("/v1/pages", "POST", "timeout_after_commit", times=1))
    with pytest.raises(RequestTimeoutError):
        create(impatient, ds)
    create(impatient, ds)  # retry without looking first
    assert len(by_opsbot_id(impatient, ds, "incident-42")) == 2


def test_delay_slows_an_answer(client: Client, ds: str, state: NotionState) -> None:
    state.add_fault(NotionFault("/v1/pages", "POST", "delay", delay=0.2, times=1))
    started = time.monotonic()
    create(client, ds)
    assert time.monotonic() - started >= 0.2
    assert len(state.pages()) == 1


def test_delay_past_the_client_timeout_drops_the_request(
    make_client: MakeClient, ds: str, state: NotionState
) -> None:
    impatient = make_client(timeout_ms=200)
    state.add_fault(NotionFault("/v1/pages", "POST", "delay", delay=2.0, times=1))
    with pytest.raises(RequestTimeoutError):
        create(impatient, ds)
    entry = wait_until(lambda: state.calls("/v1/pages"), timeout=3, what="the dropped request")
    assert (entry[0].status, entry[0].fault) == (499, "delay")
    assert state.pages() == []
