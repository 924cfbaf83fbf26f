"""Database, data source, pages, queries and blocks through the real notion-client 3.1."""

from __future__ import annotations

import asyncio
import re

from notion_client import AsyncClient, Client

from bot.sandbox.notion import NotionState, SandboxNotion

from .conftest import QUIET, TOKEN, by_opsbot_id, incident_properties, parent, text

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_database_lists_its_data_source_and_the_source_has_the_schema(
    client: Client, state: NotionState
) -> None:
    database = client.databases.retrieve(state.database_id)
    assert database["object"] == "database"
    assert database["data_sources"] == [{"id": state.data_source_id, "name": "Incidents"}]
    assert "properties" not in database  # 2025-09-03: the schema lives on the data source
    source = client.data_sources.retrieve(state.data_source_id)
    assert source["object"] == "data_source"
    assert source["parent"] == {"type": "database_id", "database_id": state.database_id}
    types = {name: prop["type"] for name, prop in source["properties"].items()}
    assert types == {
        "Title": "title",
        "Severity": "select",
        "Status": "select",
        "Service": "rich_text",
        "Client": "rich_text",
        "Opened": "date",
        "Acknowledged": "date",
        "Resolved": "date",
        "MTTA (min)": "number",
        "MTTR (min)": "number",
        "Jira": "url",
        "Slack": "url",
        "opsbot id": "rich_text",
    }
    options = source["properties"]["Status"]["select"]["options"]
    assert [o["name"] for o in options] == ["open", "acknowledged", "resolved", "closed"]
    assert client.users.me()["type"] == "bot"


def test_create_page_with_every_property_type(client: Client, ds: str, state: NotionState) -> None:
    page = client.pages.create(parent=parent(ds), properties=incident_properties())
    assert page["object"] == "page" and UUID.match(page["id"])
    assert page["parent"] == {
        "type": "data_source_id",
        "data_source_id": ds,
        "database_id": state.database_id,
    }
    assert page["url"].startswith("https://www.notion.so/Checkout-API-5xx-")
    assert page["created_time"].endswith(":00.000Z") and page["in_trash"] is False
    props = page["properties"]
    assert props["Title"]["id"] == "title" and props["Title"]["type"] == "title"
    assert props["Title"]["title"][0]["plain_text"] == "Checkout API 5xx"
    assert props["Severity"]["select"]["name"] == "S1"
    assert props["Severity"]["select"]["color"] == "red"
    assert props["Service"]["rich_text"][0]["text"] == {"content": "checkout", "link": None}
    assert props["Opened"]["date"] == {
        "start": "2025-09-03T10:00:00+00:00",
        "end": None,
        "time_zone": None,
    }
    assert props["Acknowledged"] == {
        "id": props["Acknowledged"]["id"],
        "type": "date",
        "date": None,
    }
    assert props["MTTA (min)"]["number"] is None
    assert props["Jira"]["url"] == "https://jira.example.com/browse/OPS-1"
    assert props["opsbot id"]["rich_text"][0]["plain_text"] == "incident-42"
    fetched = client.pages.retrieve(page["id"])
    assert fetched["request_id"] != page["request_id"]  # every answer has its own request_id
    assert {**fetched, "request_id": None} == {**page, "request_id": None}
    assert [p["id"] for p in state.pages()] == [page["id"]]


def test_unwritten_properties_come_back_empty(client: Client, ds: str) -> None:
    page = client.pages.create(
        parent={"data_source_id": ds}, properties={"Title": {"title": text("Bare")}}
    )
    props = page["properties"]
    assert len(props) == 13
    assert props["Service"]["rich_text"] == [] and props["Severity"]["select"] is None


def test_query_by_opsbot_id_finds_exactly_that_page(client: Client, ds: str) -> None:
    for n in (41, 42, 43):
        client.pages.create(parent=parent(ds), properties=incident_properties(f"incident-{n}"))
    found = by_opsbot_id(client, ds, "incident-42")
    assert len(found) == 1
    assert found[0]["properties"]["opsbot id"]["rich_text"][0]["plain_text"] == "incident-42"
    assert by_opsbot_id(client, ds, "incident-4") == []  # equals, not contains
    answer = client.data_sources.query(ds)
    assert answer["object"] == "list" and answer["type"] == "page_or_data_source"
    assert answer["has_more"] is False and answer["next_cursor"] is None


def test_query_select_compound_sorts_and_cursor(client: Client, ds: str) -> None:
    for n, sev, status in ((1, "S1", "open"), (2, "S2", "open"), (3, "S1", "resolved")):
        props = incident_properties(
            f"incident-{n}",
            Severity={"select": {"name": sev}},
            Status={"select": {"name": status}},
            **{"MTTA (min)": {"number": n * 10}},
        )
        client.pages.create(parent=parent(ds), properties=props)
    s1_open = client.data_sources.query(
        ds,
        filter={
            "and": [
                {"property": "Severity", "select": {"equals": "S1"}},
                {"property": "Status", "select": {"does_not_equal": "resolved"}},
            ]
        },
    )
    assert [ids(p) for p in s1_open["results"]] == ["incident-1"]
    either = client.data_sources.query(
        ds,
        filter={
            "or": [
                {"property": "Status", "select": {"equals": "resolved"}},
                {"property": "MTTA (min)", "number": {"less_than": 15}},
            ]
        },
        sorts=[{"property": "MTTA (min)", "direction": "descending"}],
    )
    assert [ids(p) for p in either["results"]] == ["incident-3", "incident-1"]
    first = client.data_sources.query(ds, page_size=2)
    assert first["has_more"] is True and len(first["results"]) == 2
    rest = client.data_sources.query(ds, page_size=2, start_cursor=first["next_cursor"])
    assert [ids(p) for p in rest["results"]] == ["incident-3"] and rest["has_more"] is False


def ids(page: dict[str, object]) -> str:
    props = page["properties"]
    assert isinstance(props, dict)
    return str(props["opsbot id"]["rich_text"][0]["plain_text"])


def test_update_properties_merges_and_trash_hides_from_queries(
    client: Client, ds: str, state: NotionState
) -> None:
    page = client.pages.create(parent=parent(ds), properties=incident_properties())
    updated = client.pages.update(
        page["id"],
        properties={
            "Status": {"select": {"name": "acknowledged"}},
            "Acknowledged": {"date": {"start": "2025-09-03T10:04:00+00:00"}},
            "MTTA (min)": {"number": 4},
        },
    )
    props = updated["properties"]
    assert props["Status"]["select"]["name"] == "acknowledged"
    assert props["MTTA (min)"]["number"] == 4
    assert props["Severity"]["select"]["name"] == "S1"  # untouched properties stay
    assert state.page(page["id"])["properties"]["Status"]["select"]["name"] == "acknowledged"
    trashed = client.pages.update(page["id"], in_trash=True)
    assert trashed["in_trash"] is True and trashed["archived"] is True
    assert by_opsbot_id(client, ds, "incident-42") == []
    restored = client.pages.update(page["id"], archived=False)
    assert restored["in_trash"] is False
    assert len(by_opsbot_id(client, ds, "incident-42")) == 1


def test_append_blocks_and_read_them_back(client: Client, ds: str, state: NotionState) -> None:
    page = client.pages.create(
        parent=parent(ds),
        properties=incident_properties(),
        children=[{"paragraph": {"rich_text": text("created with the page")}}],
    )
    blocks = [
        {"object": "block", "type": "heading_2", "heading_2": {"rich_text": text("Timeline")}},
        {"bulleted_list_item": {"rich_text": text("10:00 alert fired")}},
        {"to_do": {"rich_text": text("Add a retry budget"), "checked": True}},
        {"divider": {}},
        {"callout": {"rich_text": text("Root cause: pool exhaustion")}},
        {"heading_1": {"rich_text": text("RCA")}},
        {"heading_3": {"rich_text": [{"text": {"content": "link", "link": {"url": "https://x"}}}]}},
    ]
    appended = client.blocks.children.append(page["id"], children=blocks)
    assert appended["object"] == "list" and appended["type"] == "block"
    assert [b["type"] for b in appended["results"]] == [
        "heading_2",
        "bulleted_list_item",
        "to_do",
        "divider",
        "callout",
        "heading_1",
        "heading_3",
    ]
    listed = client.blocks.children.list(page["id"])["results"]
    assert [b["type"] for b in listed][:2] == ["paragraph", "heading_2"]
    assert listed[3]["to_do"]["checked"] is True
    assert listed[5]["callout"]["icon"] == {"type": "emoji", "emoji": "💡"}
    assert listed[7]["heading_3"]["rich_text"][0]["href"] == "https://x"
    assert listed[1]["parent"] == {"type": "page_id", "page_id": page["id"]}
    assert listed == state.blocks(page["id"])
    first = client.blocks.children.list(page["id"], page_size=3)
    assert first["has_more"] is True
    after = client.blocks.children.list(page["id"], start_cursor=first["next_cursor"])
    assert len(first["results"]) + len(after["results"]) == 8


def test_append_after_a_block_inserts_there(client: Client, ds: str) -> None:
    page = client.pages.create(parent=parent(ds), properties=incident_properties())
    one, _three = client.blocks.children.append(
        page["id"],
        children=[
            {"paragraph": {"rich_text": text("one")}},
            {"paragraph": {"rich_text": text("three")}},
        ],
    )["results"]
    client.blocks.children.append(
        page["id"], after=one["id"], children=[{"paragraph": {"rich_text": text("two")}}]
    )
    listed = client.blocks.children.list(page["id"])["results"]
    assert [b["paragraph"]["rich_text"][0]["plain_text"] for b in listed] == [
        "one",
        "two",
        "three",
    ]


def test_ids_without_dashes_are_accepted(client: Client, ds: str) -> None:
    page = client.pages.create(parent=parent(ds), properties=incident_properties())
    assert client.pages.retrieve(page["id"].replace("-", ""))["id"] == page["id"]


def test_async_client(sandbox: SandboxNotion, state: NotionState) -> None:
    async def scenario() -> list[str]:
        client = AsyncClient(auth=TOKEN, base_url=sandbox.url, timeout_ms=5_000, logger=QUIET)
        try:
            database = await client.databases.retrieve(state.database_id)
            ds = database["data_sources"][0]["id"]
            await client.pages.create(parent=parent(ds), properties=incident_properties("a-1"))
            found = await client.data_sources.query(
                ds, filter={"property": "opsbot id", "rich_text": {"equals": "a-1"}}
            )
            return [p["id"] for p in found["results"]]
        finally:
            await client.aclose()

    assert asyncio.run(scenario()) == [state.pages()[0]["id"]]
