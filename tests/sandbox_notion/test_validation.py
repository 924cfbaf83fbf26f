"""400 ``validation_error`` and 404 ``object_not_found`` as notion-client raises them."""

from __future__ import annotations

from typing import Any

import pytest
from notion_client import Client
from notion_client.errors import APIErrorCode

from bot.sandbox.notion import NotionState

from .conftest import api_error, incident_properties, parent, text


def create_error(client: Client, ds: str, **props: Any) -> str:
    """Create a page with overridden properties; expect validation_error; return the message."""
    error = api_error(
        client.pages.create, parent=parent(ds), properties=incident_properties(**props)
    )
    assert (error.status, error.code) == (400, APIErrorCode.ValidationError)
    return str(error)


def test_unknown_property_is_named(client: Client, ds: str, state: NotionState) -> None:
    message = create_error(client, ds, Priority={"select": {"name": "P1"}})
    assert message == "Priority is not a property that exists."
    assert state.pages() == []


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Severity", {"rich_text": text("S1")}, "Severity is expected to be select."),
        ("Title", {"rich_text": text("x")}, "Title is expected to be title."),
        ("Opened", {"date": "2025-09-03"}, "body.properties.Opened.date"),
        ("Opened", {"date": {"start": "yesterday"}}, "valid ISO 8601 date"),
        ("MTTA (min)", {"number": "4"}, "body.properties.MTTA (min).number"),
        ("Jira", {"url": 42}, "body.properties.Jira.url"),
        ("Service", {"rich_text": "checkout"}, "should be an array"),
        ("Severity", {"select": {"name": "S1,S2"}}, "commas not allowed"),
    ],
)
def test_wrong_type_or_shape_names_the_property(
    client: Client, ds: str, name: str, value: dict[str, Any], expected: str
) -> None:
    assert expected in create_error(client, ds, **{name: value})


def test_text_over_2000_characters(client: Client, ds: str) -> None:
    message = create_error(client, ds, Service={"rich_text": text("x" * 2001)})
    assert message == (
        "body failed validation: body.properties.Service.rich_text[0].text.content.length "
        "should be ≤ `2000`, instead was `2001`."
    )
    create_error(client, ds, Client={"rich_text": text("y") * 101})
    ok = client.pages.create(
        parent=parent(ds), properties=incident_properties(Service={"rich_text": text("x" * 2000)})
    )
    assert len(ok["properties"]["Service"]["rich_text"][0]["plain_text"]) == 2000


def test_text_length_counts_utf16_units_like_notion(client: Client, ds: str) -> None:
    astral = "x" * 1999 + "\N{ROCKET}"  # 2000 characters, 2001 UTF-16 code units
    message = create_error(client, ds, Service={"rich_text": text(astral)})
    assert message.endswith("should be ≤ `2000`, instead was `2001`.")
    page = client.pages.create(
        parent=parent(ds),
        properties=incident_properties(Service={"rich_text": text("x" * 1998 + "\N{ROCKET}")}),
    )
    assert page["properties"]["Service"]["rich_text"][0]["plain_text"].endswith("\N{ROCKET}")


def test_a_new_select_option_is_added_but_only_by_a_successful_write(
    client: Client, ds: str
) -> None:
    create_error(
        client,
        ds,
        Severity={"select": {"name": "S0"}},
        Service={"rich_text": text("x" * 2001)},
    )
    schema = client.data_sources.retrieve(ds)["properties"]
    assert [o["name"] for o in schema["Severity"]["select"]["options"]] == ["S1", "S2", "S3"]
    client.pages.create(
        parent=parent(ds), properties=incident_properties(Severity={"select": {"name": "S0"}})
    )
    schema = client.data_sources.retrieve(ds)["properties"]
    assert [o["name"] for o in schema["Severity"]["select"]["options"]][-1] == "S0"


def test_update_validates_like_create(client: Client, ds: str) -> None:
    page = client.pages.create(parent=parent(ds), properties=incident_properties())
    error = api_error(client.pages.update, page["id"], properties={"Owner": {"rich_text": []}})
    assert str(error) == "Owner is not a property that exists."
    client.pages.update(page["id"], in_trash=True)
    error = api_error(client.pages.update, page["id"], properties={"MTTR (min)": {"number": 5}})
    assert "archived" in str(error)


def test_block_limits(client: Client, ds: str) -> None:
    page = client.pages.create(parent=parent(ds), properties=incident_properties())
    too_many = [{"divider": {}}] * 101
    error = api_error(client.blocks.children.append, page["id"], children=too_many)
    assert str(error) == (
        "body failed validation: body.children.length should be ≤ `100`, instead was `101`."
    )
    long_text = [{"paragraph": {"rich_text": text("z" * 2001)}}]
    error = api_error(client.blocks.children.append, page["id"], children=long_text)
    assert "body.children[0].paragraph.rich_text[0].text.content.length" in str(error)
    image = [{"image": {"external": {"url": "https://x/y.png"}}}]
    assert "unsupported block type `image`" in str(
        api_error(client.blocks.children.append, page["id"], children=image)
    )
    api_error(
        client.pages.create, parent=parent(ds), properties=incident_properties(), children=too_many
    )
    assert client.blocks.children.list(page["id"])["results"] == []
    client.blocks.children.append(page["id"], children=[{"divider": {}}] * 100)
    position = {"type": "start"}
    error = api_error(client.blocks.children.append, page["id"], children=[], position=position)
    assert "`position`" in str(error)


def test_query_errors(client: Client, ds: str) -> None:
    unknown = {"property": "Owner", "rich_text": {"equals": "x"}}
    error = api_error(client.data_sources.query, ds, filter=unknown)
    assert str(error) == "Could not find property with name or id: Owner"
    mismatch = {"property": "Severity", "number": {"equals": 1}}
    assert error_code(client, ds, filter=mismatch) == APIErrorCode.ValidationError
    assert error_code(client, ds, start_cursor="not-a-cursor") == APIErrorCode.ValidationError
    assert error_code(client, ds, page_size=101) == APIErrorCode.ValidationError


def error_code(client: Client, ds: str, **kwargs: Any) -> APIErrorCode:
    return api_error(client.data_sources.query, ds, **kwargs).code


def test_unknown_ids_are_404(client: Client, ds: str, state: NotionState) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for call in (
        lambda: client.pages.retrieve(missing),
        lambda: client.pages.update(missing, properties={}),
        lambda: client.blocks.children.list(missing),
        lambda: client.data_sources.retrieve(missing),
        lambda: client.databases.retrieve(missing),
        # the database id is not a data source id (a classic 2025-09-03 migration mistake)
        lambda: client.data_sources.query(state.database_id),
        lambda: client.pages.create(parent=parent(missing), properties={}),
    ):
        error = api_error(call)
        assert (error.status, error.code) == (404, APIErrorCode.ObjectNotFound)
    assert "Could not find page with ID: 00000000" in str(api_error(client.pages.retrieve, missing))


def test_malformed_id_is_a_validation_error(client: Client) -> None:
    error = api_error(client.pages.retrieve, "incident-42")
    assert (error.status, error.code) == (400, APIErrorCode.ValidationError)
    assert "should be a valid uuid" in str(error)


def test_database_parent_still_works_for_a_single_source_database(
    client: Client, state: NotionState
) -> None:
    page = client.pages.create(
        parent={"database_id": state.database_id}, properties=incident_properties()
    )
    assert page["parent"]["data_source_id"] == state.data_source_id
    error = api_error(client.pages.create, parent={"page_id": state.database_id}, properties={})
    assert error.code == APIErrorCode.ValidationError
