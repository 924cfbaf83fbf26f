"""A completed RCA in Jira (action items as linked issues) and Notion (appended as blocks),
through the outbox, against the sandbox Jira and Notion: once, whole, despite faults."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.adapters.notion_blocks import markdown_to_blocks
from bot.adapters.sync_render import rca_marker
from bot.clock import utcnow
from bot.domain.rca import SECTIONS
from bot.policy import Policy
from bot.sandbox.jira import Issue, JiraFault, SandboxJira
from bot.sandbox.notion import NotionFault, SandboxNotion
from bot.services import rca
from bot.services.checklist_service import ChecklistService
from bot.services.lifecycle import Actor
from bot.services.sync import SyncTargets
from storage.tables import OutboxRow
from tests.conftest import Opsbot, OpsbotFactory, sync_settings
from tests.waiting import wait_until

POLICY: dict[str, Any] = {
    "slack": {"incidents_channel": "C0INCIDENTS"},
    "outbox": {"retry_base": 0.1, "retry_cap": 0.5, "max_attempts": 30},
    "roles": {"admin": ["U0ALICE"]},
}
ROOT_CAUSE = " ".join(f"cause-{n:04d}" for n in range(500))[:5000]  # stored cut to 3,000
FACTORS = "\n".join(f"- factor {n}" for n in range(150))  # 150 list items: over 100 blocks
ANSWERS: dict[str, dict[str, str]] = {
    "timeline": {"reviewed": "Alice, Bob"},
    "impact": {"duration": "42m", "clients": "none", "users": "about 1,200 checkouts failed"},
    "root_cause": {"text": ROOT_CAUSE},
    "contributing": {"text": FACTORS},
    "five_whys": {"why1": "Pool exhausted", "why2": "Deploy halved it", "why3": "Config typo"},
    "went": {"well": "Fast rollback", "badly": "Late notice"},
    "action_items": {},
}
ACTIONS = ("Alert on pool saturation", "Lint the pool configuration")
ALICE = Actor("U0ALICE", "test")


def _start(
    factory: OpsbotFactory,
    jira: SandboxJira,
    notion: SandboxNotion,
    extra: dict[str, Any] | None = None,
) -> tuple[Opsbot, ChecklistService]:
    policy = Policy.model_validate(POLICY | (extra or {}))
    opsbot = factory(policy, **sync_settings(jira, notion))
    service = ChecklistService(
        db=opsbot.db,
        policy=policy,
        clock=utcnow,
        slack=True,
        sync=SyncTargets(jira=True, notion=True),
    )
    return opsbot, service


def _settled(opsbot: Opsbot) -> bool:
    with opsbot.db.session() as session:
        rows = session.exec(select(OutboxRow)).all()
    return not any(row.status == "pending" for row in rows)


def _drain(opsbot: Opsbot, what: str, timeout: float = 40) -> None:
    wait_until(lambda: _settled(opsbot), timeout=timeout, what=what)
    with opsbot.db.session() as session:
        dead = session.exec(select(OutboxRow).where(OutboxRow.status == "dead")).all()
    assert [(row.kind, row.last_error) for row in dead] == []


def _resolved_incident(opsbot: Opsbot, service: ChecklistService) -> int:
    """Declare an S1 incident and resolve it by slash command; its RCA has started."""
    opsbot.driver.command('declare "Checkout failing" --sev S1 --service checkout-api')
    incidents = wait_until(lambda: opsbot.api("/incidents")["incidents"], what="incident")
    number = int(incidents[0]["id"])
    opsbot.driver.command(f"resolve {number} rolled back")
    wait_until(lambda: (s := service.rca(number)) is not None and s.started, what="RCA started")
    _drain(opsbot, "the incident's own effects delivered")
    return number


def _complete_rca(service: ChecklistService, number: int) -> None:
    """Both action items first (so the appended RCA lists both), then every section."""
    today = service.today()
    for days, text in enumerate(ACTIONS, start=1):
        service.add_action(
            number, text=text, owner="U0BOB", due=today + timedelta(days=7 * days), actor=ALICE
        )
    for section in SECTIONS:
        service.save_section(number, section.key, ANSWERS[section.key], ALICE)
    status = service.rca(number)
    assert status is not None and status.complete


def _incident_issue(jira: SandboxJira, number: int) -> Issue:
    [issue] = [i for i in jira.state.issues() if f"opsbot-incident-{number}" in i.labels]
    return issue


def _assert_action_issues(opsbot: Opsbot, jira: SandboxJira, number: int) -> None:
    """Exactly two action issues, right fields, each linked once to the incident's issue."""
    incident = _incident_issue(jira, number)
    actions = [i for i in jira.state.issues() if i.key != incident.key]
    items = rca.load(db=opsbot.db, incident_id=number)
    assert items is not None
    assert len(actions) == 2 and len(items.actions) == 2
    today = utcnow().date()
    for n, ((action_id, item), issue) in enumerate(zip(items.actions, actions, strict=True), 1):
        assert issue.summary == f"[RCA #{number}] {item.text}"
        assert issue.duedate == (today + timedelta(days=7 * n)).isoformat()
        assert set(issue.labels) == {"opsbot", f"opsbot-action-{action_id}"}
        assert issue.issue_type == incident.issue_type and issue.project_key == "OPS"
        assert "U0BOB" in (issue.description or "")
        assert item.jira_key == issue.key
    assert [i.text for _, i in items.actions] == list(ACTIONS)
    links = jira.state.links_of(incident.key)
    assert sorted((lk.type_name, lk.inward_key, lk.outward_key) for lk in links) == sorted(
        ("Relates", incident.key, i.key) for i in actions
    )
    made = [c for c in jira.state.calls("POST /rest/api/2/issueLink$") if c.status == 201]
    assert len(made) == 2


def _text(block: dict[str, Any]) -> str:
    return "".join(i["text"]["content"] for i in block[block["type"]]["rich_text"])


def _assert_rca_page(opsbot: Opsbot, notion: SandboxNotion, number: int) -> None:
    """The RCA appears once, whole and in order; no append carried over 100 blocks."""
    [page] = notion.state.pages()
    blocks = notion.state.blocks(page["id"])
    markers = [i for i, b in enumerate(blocks) if _text(b) == rca_marker(number)]
    assert markers == [0]
    document = rca.markdown(db=opsbot.db, incident_id=number)
    assert document is not None
    expected = markdown_to_blocks(document)
    got = blocks[1:]
    assert len(expected) > 100  # so it took more than one append
    assert [b["type"] for b in got] == [b["type"] for b in expected]
    for mine, wanted in zip(got, expected, strict=True):
        if wanted["type"] != "to_do":  # action lines may or may not show their Jira keys yet
            assert _text(mine) == _text(wanted)
    stored = ROOT_CAUSE[:3000]
    [root] = [b for b in got if _text(b) == stored]
    assert [len(i["text"]["content"]) for i in root["paragraph"]["rich_text"]] == [2000, 1000]
    assert sum(b["type"] == "to_do" for b in got) == 2
    appends = notion.state.calls("/v1/blocks/")
    patches = [c for c in appends if c.method == "PATCH"]
    assert all(c.status in (200, 429) for c in patches)  # the sandbox answers 400 over 100
    assert sum(c.status == 200 for c in patches) >= -(-len(blocks) // 100)


def test_rca_reaches_jira_and_notion_once(
    opsbot_factory: OpsbotFactory, jira: SandboxJira, notion: SandboxNotion
) -> None:
    opsbot, service = _start(opsbot_factory, jira, notion)
    number = _resolved_incident(opsbot, service)
    _complete_rca(service, number)
    _drain(opsbot, "RCA effects delivered")
    _assert_action_issues(opsbot, jira, number)
    _assert_rca_page(opsbot, notion, number)
    patches = [c for c in notion.state.calls("/v1/blocks/") if c.method == "PATCH"]
    assert [c.status for c in patches] == [200, 200]
    later = service.add_action(
        number, text="Add a pool dashboard", owner="U0BOB", due=service.today(), actor=ALICE
    )  # after completion: one more linked issue, nothing else doubled
    assert later.complete
    _drain(opsbot, "the late action item delivered")
    incident = _incident_issue(jira, number)
    assert len(jira.state.issues()) == 4 and len(jira.state.links_of(incident.key)) == 3
    assert jira.state.issues()[-1].summary == f"[RCA #{number}] Add a pool dashboard"
    assert rca.pending_actions(db=opsbot.db, incident_id=number) == []


def test_outages_delay_the_rca_but_deliver_it_once(
    opsbot_factory: OpsbotFactory, jira: SandboxJira, notion: SandboxNotion
) -> None:
    opsbot, service = _start(opsbot_factory, jira, notion)
    number = _resolved_incident(opsbot, service)
    jira.state.add_fault(
        JiraFault(path_prefix="/rest/api/2/", kind="error", status=503, every=2, times=8)
    )
    notion.state.add_fault(
        NotionFault(
            path_prefix="/v1/blocks/",
            method="PATCH",
            kind="rate_limited",
            retry_after=0,
            every=2,
            times=1,
        )
    )
    _complete_rca(service, number)
    _drain(opsbot, "RCA effects delivered after the outages")
    assert len([c for c in jira.state.calls() if c.status == 503]) == 8
    patches = [c for c in notion.state.calls("/v1/blocks/") if c.method == "PATCH"]
    assert [c.status for c in patches] == [200, 429, 200]  # the second batch, retried
    _assert_action_issues(opsbot, jira, number)
    _assert_rca_page(opsbot, notion, number)


def test_a_timeout_after_a_write_doubles_nothing(
    opsbot_factory: OpsbotFactory, jira: SandboxJira, notion: SandboxNotion
) -> None:
    opsbot, service = _start(opsbot_factory, jira, notion, {"jira": {"timeout": "1s"}})
    number = _resolved_incident(opsbot, service)
    jira.state.add_fault(  # the next issue created is the first action item's
        JiraFault(
            path_prefix="/rest/api/2/issue$",
            method="POST",
            kind="timeout_after_commit",
            delay=2.5,
            times=1,
        )
    )
    jira.state.add_fault(
        JiraFault(
            path_prefix="/rest/api/2/issueLink$",
            method="POST",
            kind="timeout_after_commit",
            delay=2.5,
            times=1,
        )
    )
    notion.state.add_fault(  # the first batch (with the marker) lands, its answer does not
        NotionFault(
            path_prefix="/v1/blocks/",
            method="PATCH",
            kind="timeout_after_commit",
            delay=2.5,
            times=1,
        )
    )
    _complete_rca(service, number)
    _drain(opsbot, "RCA effects delivered after the timeouts")
    assert [c.fault for c in jira.state.calls() if c.fault] == ["timeout_after_commit"] * 2
    assert [c.fault for c in notion.state.calls() if c.fault] == ["timeout_after_commit"]
    _assert_action_issues(opsbot, jira, number)
    _assert_rca_page(opsbot, notion, number)
    with opsbot.db.session() as session:
        rows = session.exec(select(OutboxRow).where(OutboxRow.kind != "slack")).all()
        attempts = {row.kind: row.attempts for row in rows if row.kind.endswith(("rca", "actions"))}
    assert attempts["jira.actions"] >= 3 and attempts["notion.rca"] >= 2
