"""Block Kit builders: content, escaping, and Slack's limits for 1 and 1,000 alerts."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.adapters.slack import cards
from bot.domain.incident import AlertView, DigestEntry, IncidentView
from bot.domain.severity import Severity
from bot.sandbox.slack import check_blocks

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
EVIL = "<!channel> & <@U0BOB> <https://evil.example|click>"
LIVE_TOKEN = re.compile(
    r"<(!date\^\d+\^[^|>]+\|[^>]+|@U\w+|!subteam\^S\w+|#C\w+|https?://[^|>]+\|[\w ]+)>"
)


def alert(i: int = 0, **changes: Any) -> AlertView:
    base = AlertView(
        fingerprint=f"fp{i}",
        name=f"HighLatency{i}",
        status="firing",
        severity=Severity.S2,
        labels={"alertname": f"HighLatency{i}", "service": "checkout-api"},
        annotations={
            "summary": f"p99 above 2s on pod {i}",
            "description": "Latency is high.",
            "runbook_url": "https://runbooks.example/latency",
        },
        starts_at=NOW - timedelta(minutes=i),
        ends_at=None,
        generator_url=f"https://prometheus.example/graph?g0.expr=up&i={i}",
        last_seen_at=NOW,
    )
    return replace(base, **changes)


def incident(**changes: Any) -> IncidentView:
    base = IncidentView(
        id=7,
        number=42,
        title="DB down",
        severity=Severity.S1,
        status="open",
        service="checkout-api",
        client="acme",
        opened_at=NOW,
        acknowledged_at=None,
        resolved_at=None,
        closed_at=None,
        slack_channel_id="C0SB00001",
        oncall=("U0ALICE", "S0SRE"),
        playbook="https://wiki.example/playbooks/db",
        ack_due_at=NOW + timedelta(minutes=15),
        firing_count=9,
        resolved_count=3,
        alerts=tuple(alert(i) for i in range(12)),
    )
    return replace(base, **changes)


def entry(i: int = 0, summary: str = "Disk almost full") -> DigestEntry:
    return DigestEntry(
        {"alertname": "DiskFull", "host": f"h{i}"}, "storage", Severity.S2, 3, summary
    )


def mrkdwn(blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn string in a block list."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def assert_valid(rendered: tuple[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Slack would accept it, and only opsbot-built links and mentions are live."""
    text, blocks = rendered
    assert check_blocks(blocks) == []
    assert text and len(text) <= 3000
    for chunk in [text, *mrkdwn(blocks)]:
        stripped = LIVE_TOKEN.sub("", chunk)
        assert "<" not in stripped and ">" not in stripped, chunk
        assert not re.search(r"&(?!amp;|lt;|gt;)", chunk), chunk
    return blocks


def by_id(blocks: list[dict[str, Any]], block_id: str) -> dict[str, Any]:
    return next(b for b in blocks if b.get("block_id") == block_id)


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_incident_card_open() -> None:
    text, blocks = cards.incident_card(incident(), now=NOW)
    assert_valid((text, blocks))
    assert [b["block_id"] for b in blocks] == ["card_header", "card_fields", "card_actions"]
    assert by_id(blocks, "card_header")["text"]["text"] == ":rotating_light: S1 · #42 DB down"
    fields = "\n".join(f["text"] for f in by_id(blocks, "card_fields")["fields"])
    for label in ("*Severity*", "*Status*\nOpen", "*Service*\ncheckout-api", "*Client*\nacme"):
        assert label in fields
    opened = int(NOW.timestamp())
    assert (
        f"*Opened*\n<!date^{opened}^{{date_short_pretty}} {{time}}|2024-05-01T10:00:00Z>" in fields
    )
    assert f"*Ack by*\n<!date^{opened + 900}^" in fields
    assert "<@U0ALICE> <!subteam^S0SRE>" in fields
    assert "<https://wiki.example/playbooks/db|" in fields
    buttons = by_id(blocks, "card_actions")["elements"]
    assert [b["action_id"] for b in buttons] == [
        "incident_ack",
        "incident_update",
        "incident_escalate",
        "incident_sev",
        "incident_resolve",
        "incident_client_update",
    ]
    assert {b["value"] for b in buttons} == {"7"}
    assert buttons[-2]["style"] == "danger"  # Resolve; the client update button comes last
    assert text.startswith("S1 · #42 DB down")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            "open",
            [
                "incident_ack",
                "incident_update",
                "incident_escalate",
                "incident_sev",
                "incident_resolve",
            ],
        ),
        (
            "acknowledged",
            ["incident_update", "incident_escalate", "incident_sev", "incident_resolve"],
        ),
        ("resolved", ["rca_show", "incident_reopen"]),
        ("closed", []),
    ],
)
def test_incident_card_buttons_follow_status(status: str, expected: list[str]) -> None:
    blocks = assert_valid(cards.incident_card(incident(status=status, client=None), now=NOW))
    assert action_ids(blocks) == expected
    with_client = assert_valid(cards.incident_card(incident(status=status), now=NOW))
    extra = ["incident_client_update"] if status != "closed" else []
    assert action_ids(with_client) == expected + extra
    assert ("card_actions" in [b.get("block_id") for b in blocks]) == bool(expected)


def test_incident_card_ack_overdue_and_acknowledged() -> None:
    late = NOW + timedelta(hours=1)
    fields = str(cards.incident_card(incident(), now=late)[1][1]["fields"])
    assert "ack overdue" in fields
    acked = incident(status="acknowledged", acknowledged_at=NOW + timedelta(minutes=5))
    fields = str(cards.incident_card(acked, now=late)[1][1]["fields"])
    assert "ack overdue" not in fields and "*Acknowledged*" in fields and "Ack by" not in fields


def test_incident_card_escapes_and_cuts() -> None:
    view = incident(
        title=EVIL + "x" * 300,
        service=EVIL * 100,
        client=EVIL,
        playbook="see <#C0SECRET> " * 300,
        oncall=tuple(f"U{i:08d}" for i in range(500)),
        opened_at=NOW.replace(tzinfo=None),
    )
    text, blocks = cards.incident_card(view, now=NOW)
    assert_valid((text, blocks))
    header = by_id(blocks, "card_header")["text"]["text"]
    assert len(header) == 150 and header.endswith("…")
    assert "<!channel>" not in header and "\u2039!channel\u203a" in header  # inert
    fields = by_id(blocks, "card_fields")["fields"]
    assert "&lt;!channel&gt; &amp; &lt;@U0BOB&gt;" in fields[2]["text"]
    assert "more" in next(f["text"] for f in fields if f["text"].startswith("*On-call*"))
    assert "&lt;#C0SECRET&gt;" in fields[-1]["text"]
    assert "&lt;!channel&gt;" in text
    assert f"<!date^{int(NOW.timestamp())}^" in str(fields)  # naive datetimes are UTC


def test_button_text_is_cut() -> None:
    button = cards.button("y" * 100, "a", "1")
    assert len(button["text"]["text"]) == 75 and button["text"]["text"].endswith("…")


def test_alerts_message_counts_and_newest() -> None:
    view = incident(truncated_alerts=4)
    text, blocks = cards.alerts_message(view)
    assert_valid((text, blocks))
    assert blocks[0]["text"]["text"] == (
        "*12 alerts: 9 firing, 3 resolved · +4 truncated by Alertmanager*"
    )
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"][1:]
    assert len(sections) == 5
    assert sections[0].startswith(":red_circle: *HighLatency0* — p99 above 2s on pod 0")
    assert "Latency is high." in sections[0]
    context = str(blocks[2])
    assert "<https://runbooks.example/latency|Runbook>" in context
    assert "<https://prometheus.example/graph?g0.expr=up&amp;i=0|Source>" in context
    assert "Started <!date^" in context
    assert blocks[-1]["elements"][0]["text"] == "…and 7 more"
    assert "12 alerts" in text


def test_alerts_message_one_resolved_alert() -> None:
    ended = alert(status="resolved", ends_at=NOW, annotations={})
    view = incident(firing_count=0, resolved_count=1, alerts=(ended,))
    blocks = assert_valid(cards.alerts_message(view))
    assert blocks[0]["text"]["text"] == "*1 alert: 0 firing, 1 resolved*"
    assert blocks[1]["text"]["text"] == ":white_check_mark: *HighLatency0*"
    assert "Ended <!date^" in str(blocks[2]) and "Runbook" not in str(blocks[2])
    assert len(blocks) == 3


def test_alerts_message_thousand_hostile_alerts() -> None:
    hostile = {
        "summary": EVIL * 50,
        "description": ("&<>" * 3000) + EVIL,
        "runbook_url": "https://runbooks.example/" + "r" * 5000,
    }
    many = tuple(alert(i, annotations=hostile, name=EVIL * 20) for i in range(1000))
    view = incident(firing_count=990, resolved_count=10, truncated_alerts=50, alerts=many)
    blocks = assert_valid(cards.alerts_message(view, newest=1000))
    assert len(blocks) <= 50
    assert blocks[-1]["elements"][0]["text"] == "…and 980 more"
    assert "<!channel>" not in str(blocks) and "Runbook" not in str(blocks)


def test_announcement() -> None:
    text, blocks = cards.announcement(incident(title="DB <b>down</b>"))
    assert_valid((text, blocks))
    body = blocks[0]["text"]["text"]
    assert body.startswith(":rotating_light: *S1 · #42 DB &lt;b&gt;down&lt;/b&gt;*")
    assert "Service: checkout-api · Client: acme · <#C0SB00001>" in body
    pending = assert_valid(cards.announcement(incident(slack_channel_id=None, client=None)))
    assert pending[0]["text"]["text"].endswith("Service: checkout-api · channel pending")


def test_channel_topic() -> None:
    assert cards.channel_topic(incident()) == "S1 · open · checkout-api · #42 DB down"
    long = cards.channel_topic(incident(title="<&>" * 200))
    assert len(long) <= 250 and long.endswith("…")
    assert not re.search(r"&(?!amp;|lt;|gt;)", long.removesuffix("…"))


def test_all_cleared_message() -> None:
    manual = assert_valid(cards.all_cleared_message(incident(), auto_resolved=False))
    assert "All alerts cleared" in manual[0]["text"]["text"]
    assert manual[1]["elements"][0]["action_id"] == "incident_resolve"
    assert manual[1]["elements"][0]["value"] == "7"
    text, auto = cards.all_cleared_message(incident(), auto_resolved=True)
    assert_valid((text, auto))
    assert action_ids(auto) == [] and "resolved automatically" in text


def test_reopened_and_severity_raised() -> None:
    text, blocks = cards.reopened_message(incident(), EVIL)
    assert_valid((text, blocks))
    assert "Reopened S1 · #42 DB down" in text and "&lt;!channel&gt;" in text
    raised = incident(severity=Severity.S1)
    text, blocks = cards.severity_raised_message(raised, Severity.S3, "x" * 5000)
    assert_valid((text, blocks))
    assert "Severity raised S3 → S1" in blocks[0]["text"]["text"]


def test_storm_digest() -> None:
    entries = [entry(i) for i in range(37)]
    text, blocks = cards.storm_digest(entries, window_start=NOW, opened_limit=10)
    assert_valid((text, blocks))
    assert text == "Storm guard: 37 alert groups held back; at most 10 new incidents a minute"
    listed = "\n".join(b["text"]["text"] for b in blocks[2:] if b["type"] == "section")
    assert listed.count("*storage* · 3 alerts · Disk almost full") == 20
    assert blocks[-1]["elements"][0]["text"] == "…and 17 more"


@pytest.mark.parametrize("count", [1, 1000])
def test_storm_digest_limits(count: int) -> None:
    entries = [entry(i, summary=EVIL * 100) for i in range(count)]
    blocks = assert_valid(cards.storm_digest(entries, window_start=NOW, opened_limit=10))
    assert len(blocks) <= 50
    assert ("more" in str(blocks[-1])) == (count > 20)


@pytest.mark.parametrize("count", [1, 1000])
def test_below_threshold_notice(count: int) -> None:
    alerts = [alert(i, severity=Severity.S3, name=EVIL * 10) for i in range(count)]
    text, blocks = cards.below_threshold_notice(alerts, service="web", minimum=Severity.S2)
    assert_valid((text, blocks))
    assert len(blocks) <= 50
    noun = "alert" if count == 1 else "alerts"
    assert text == f"{count} {noun} for web below S2: no incident opened"
    assert "<https://runbooks.example/latency|Runbook>" in str(blocks)
    assert ("…and 980 more" in str(blocks[-1])) == (count == 1000)


def test_escape() -> None:
    assert cards.escape("a & <b> c") == "a &amp; &lt;b&gt; c"


def test_client_update_form_starts_from_the_clients_template() -> None:
    from bot.adapters.slack.client_cards import client_update_modal

    modal = client_update_modal(
        7,
        status="acknowledged",
        next_update="15:00 UTC",
        template="Hi ACME, {status} {x}\n{next_update}",
    )
    field = modal["blocks"][0]["element"]
    assert field["initial_value"] == "Hi ACME, acknowledged {x}\n15:00 UTC"
    default = client_update_modal(7, status="open", next_update="soon")["blocks"][0]["element"]
    assert default["initial_value"].startswith("Status: open\nImpact: ")
