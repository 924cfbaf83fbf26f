"""Client users are isolated: users of a client's Slack team (and of unknown teams) press
every button, run every ``/incident`` sub-command and submit every modal opsbot has, and get
only client-safe answers about their own client's communicated incidents; nothing changes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk import WebClient
from sqlalchemy import inspect, text
from sqlmodel import select

from bot.adapters.slack.cards import BUTTONS_BY_STATUS
from bot.clock import utcnow
from bot.domain.commands import INCIDENT
from bot.metrics import Metrics
from bot.policy import Policy
from bot.sandbox.slack import SlackDriver
from bot.services.registry import build_services
from handlers import slack as slack_handlers
from storage import Database
from storage.tables import OutboxRow
from tests.conftest import Opsbot, OpsbotFactory
from tests.waiting import wait_until

ACME_UPDATE = "Checkout is slower than usual for some customers.\nNext update: 15:00 UTC"
ACME_SEEN = "Checkout is slower than usual for some customers."
REFUSED = "This is not available to users outside opsbot-sandbox; ask your contact at the agency."
# titles, hostnames, IP, the note, globex's incident and update, the responders
INTERNAL = ("web-3.internal", "10.0.3.17", "pool exhausted", "db password rotated")
INTERNAL += ("billing-api", "billing-7.internal", "queue stuck", "Invoices are delayed", "Globex")
INTERNAL += ("acme-db-9", "replica lag", "U0ALICE", "U0BOB")
PROBE_TITLE = "Isolation probe"


def _client(name: str, channel: str, team: str, service: str) -> dict[str, Any]:
    return {"name": name, "shared_channel": channel, "team_ids": [team], "services": [service]}


POLICY = {
    "slack": {"incidents_channel": "C0INCIDENTS"},
    "clients": {
        "acme": _client("ACME Corp", "C0ACMESHARED", "T0ACME", "checkout-api"),
        "globex": _client("Globex", "C0GLOBEXSHARED", "T0GLOBEX", "billing-api"),
    },
}


@dataclass(frozen=True)
class World:
    """Three incidents: acme's (communicated), globex's (communicated), acme's (not yet)."""

    opsbot: Opsbot
    acme: int
    globex: int
    hidden: int
    acme_post_ts: str

    @property
    def ids(self) -> tuple[int, int, int]:
        return self.acme, self.globex, self.hidden


class _Recorder:
    """Stands in for the Bolt app to learn every action id and modal callback id registered."""

    def __init__(self) -> None:
        self.actions: set[str] = set()
        self.views: set[str] = set()

    def _keep(self, bucket: set[str], constraint: Any) -> Any:
        if isinstance(constraint, dict):  # {"action_id": …} / {"callback_id": …}
            constraint = constraint.get("action_id") or constraint.get("callback_id")
        if isinstance(constraint, re.Pattern):  # a sample id the pattern matches
            sample = constraint.pattern.removeprefix("^").removesuffix("$") + "probe"
            assert constraint.search(sample), f"add a sample id for {constraint.pattern}"
            constraint = sample
        assert isinstance(constraint, str), constraint
        bucket.add(constraint)
        return lambda listener: listener

    def action(self, constraint: Any, *_: Any, **__: Any) -> Any:
        return self._keep(self.actions, constraint)

    def view(self, constraint: Any, *_: Any, **__: Any) -> Any:
        return self._keep(self.views, constraint)

    def __getattr__(self, _name: str) -> Any:  # use, error, command, event
        return lambda *_a, **_k: lambda listener: listener


def _registered(db: Database) -> _Recorder:
    recorder = _Recorder()
    policy = Policy.model_validate(POLICY)
    services = build_services(db=db, policy=policy, clock=utcnow, metrics=Metrics(), slack=True)
    slack_handlers.register(
        cast(AsyncApp, recorder), services, timeline_emoji="memo", home_team=lambda: "T0OPSBOT"
    )
    return recorder


def _declare(opsbot: Opsbot, args: str) -> tuple[int, str, Any]:
    def ids() -> set[int]:
        return {int(r["id"]) for r in opsbot.api("/incidents", status="all")["incidents"]}

    known = ids()
    opsbot.driver.command(f"declare {args}")
    number = max(wait_until(lambda: ids() - known, what="declared"))
    channel = str(wait_until(lambda: opsbot.api(f"/incidents/{number}")["slack_channel_id"]))
    return number, channel, wait_until(lambda: opsbot.slack.state.messages(channel))[0]


def _communicate(opsbot: Opsbot, args: str, words: str) -> int:
    """Declare an incident, then draft, preview and post a client update about it."""
    number, channel, card = _declare(opsbot, args)
    state, driver = opsbot.slack.state, opsbot.driver
    at = {"channel_id": channel}
    driver.block_action("incident_client_update", value=str(number), message_ts=card.ts, **at)
    modal = wait_until(lambda: state.open_views("U0ALICE"), what="draft form")[-1]
    values = {"text": {"text": {"type": "plain_text_input", "value": words}}}
    assert driver.view_submission(modal.id, values).status_code == 200
    preview = wait_until(
        lambda: [m for m in state.messages(channel) if "Client update #" in m.text]
    )
    update_id = preview[0].blocks[-1]["elements"][0]["value"]
    driver.block_action("client_update_post", value=update_id, message_ts=preview[0].ts, **at)
    return number


def _drained(opsbot: Opsbot) -> bool:
    with opsbot.db.session() as session:
        return not session.exec(select(OutboxRow).where(OutboxRow.status != "done")).first()


@pytest.fixture
def world(opsbot_factory: OpsbotFactory) -> World:
    opsbot = opsbot_factory(Policy.model_validate(POLICY))
    state = opsbot.slack.state
    state.add_user("U0STRANGER", "sam.elsewhere", team_id="T0ELSEWHERE")
    members = [state.bot_user_id, "U0ALICE", "U0STRANGER"]
    teams = [state.team_id, "T0GLOBEX", "T0ELSEWHERE"]
    state.add_channel(
        "C0GLOBEXSHARED",
        "globex-shared",
        members=members,
        is_ext_shared=True,
        shared_team_ids=teams,
    )
    acme = _communicate(
        opsbot, '"web-3.internal pool exhausted at 10.0.3.17" --service checkout-api', ACME_UPDATE
    )
    opsbot.driver.command(f"note {acme} internal: db password rotated on web-3.internal")
    globex = _communicate(
        opsbot, '"billing-7.internal queue stuck" --service billing-api', "Invoices are delayed."
    )
    hidden, _, _ = _declare(opsbot, '"acme-db-9 replica lag" --sev S3 --service checkout-api')
    post = wait_until(lambda: state.messages("C0ACMESHARED"), what="acme post")[-1]
    wait_until(lambda: state.messages("C0GLOBEXSHARED"), what="globex post")
    wait_until(lambda: _drained(opsbot), what="outbox drained")
    return World(opsbot, acme, globex, hidden, post.ts)


def _snapshot(db: Database) -> dict[str, list[str]]:
    """Every row of every table (but Events API receipts), to compare before and after."""
    with db.engine.connect() as conn:
        # The audit log grows with every request (checked apart: only denials by the user).
        skipped = {"slack_event_receipts", "alembic_version", "audit_log", "audit_head"}
        names = set(inspect(conn).get_table_names()) - skipped
        return {n: sorted(map(repr, conn.execute(text(f'SELECT * FROM "{n}"')))) for n in names}


@dataclass
class Probe:
    """One outside user acting through a driver signed like Slack, with what they were told."""

    world: World
    driver: SlackDriver
    user: str
    channel: str
    answers: list[str] = field(default_factory=list)

    def _keep(self, reply: Any) -> str:
        assert reply.status_code == 200, reply.text
        self.answers.append(reply.text)
        return str(reply.text)

    def command(self, words: str, command: str = "/incident") -> str:
        return self._keep(
            self.driver.command(words, command=command, user_id=self.user, channel_id=self.channel)
        )

    def press(self, action_id: str, value: str) -> None:
        on_post = self.world.acme_post_ts if self.channel == "C0ACMESHARED" else None
        self._keep(
            self.driver.block_action(
                action_id,
                value=value,
                user_id=self.user,
                channel_id=self.channel,
                message_ts=on_post,
            )
        )

    def submit(self, callback_id: str) -> str:
        """Open a modal with this callback id for the user, then submit it filled in."""
        state = self.world.opsbot.slack.state
        web = WebClient(token=state.bot_token, base_url=self.world.opsbot.slack.api_url)
        element = {"type": "plain_text_input", "action_id": "text"}
        label = {"type": "plain_text", "text": "Text"}
        modal = {
            "type": "modal",
            "callback_id": callback_id,
            "title": {"type": "plain_text", "text": PROBE_TITLE},
            "submit": {"type": "plain_text", "text": "Submit"},
            "private_metadata": str(self.world.acme),
            "blocks": [{"type": "input", "block_id": "text", "label": label, "element": element}],
        }
        view = web.views_open(trigger_id=state.issue_trigger(self.user), view=modal)["view"]
        keys = ("text", "title", "summary", "impact", "reason", "service")
        values = {k: {k: {"type": "plain_text_input", "value": "probe"}} for k in keys}
        values["severity"] = {
            "severity": {"type": "static_select", "selected_option": {"value": "S1"}}
        }
        return self._keep(self.driver.view_submission(view["id"], values, user_id=self.user))

    def refusals(self) -> int:
        """Private messages with the refusal the user got so far."""
        state = self.world.opsbot.slack.state
        return sum(REFUSED in m.text for m in state.all_messages() if m.visible_to == self.user)

    def told(self) -> str:
        """Everything the user saw: acks, private answers, their views."""
        state = self.world.opsbot.slack.state
        seen = [f"{m.text} {m.blocks}" for m in state.all_messages() if m.visible_to == self.user]
        views = [str(v.payload) for v in state.views.values() if v.user_id == self.user]
        return "\n".join([*self.answers, *seen, *views])


@pytest.fixture
def probe_for(world: World) -> Iterator[Any]:
    drivers: list[SlackDriver] = []

    def make(user: str, team: str, channel: str) -> Probe:
        url, secret = (
            world.opsbot.url + "/slack/events",
            world.opsbot.secret("slack_signing_secret"),
        )
        drivers.append(SlackDriver(url, secret, world.opsbot.slack, team_id=team))
        return Probe(world, drivers[-1], user, channel)

    yield make
    for driver in drivers:
        driver.close()


def _invocations(name: str, ids: tuple[int, ...], user: str) -> list[str]:
    first = ids[0]
    extra = {
        "declare": ['declare "probe" --sev S1 --service checkout-api'],
        "update": [f"update {first} probe"],
        "sev": [f"sev {first} S1 probe"],
        "assign": [f"assign {first} commander <@{user}>"],
        "note": [f"note {first} probe"],
        "resolve": [f"resolve {first} probe"],
        "list": ["list all"],
        "help": [""],
    }.get(name, [])
    return [name, *(f"{name} {n}" for n in (*ids, 999)), *extra]


def _outside_events(probe: Probe) -> None:
    """A pin and a timeline-emoji reaction by the outside user in acme's incident channel."""
    world = probe.world
    card = world.opsbot.slack.state.messages(_channel(world, world.acme))[0]
    who = {"user": probe.user, "user_team": probe.driver.env.team_id}
    item = {"type": "message", "channel": card.channel, "ts": card.ts}
    pinned = item | {"message": {"text": "outside pin", "ts": card.ts}}
    world.opsbot.driver.event(
        {"type": "pin_added", **who, "channel_id": card.channel, "item": pinned}
    )
    world.opsbot.driver.event({"type": "reaction_added", **who, "reaction": "memo", "item": item})


def _act_on_everything(probe: Probe, recorder: _Recorder, *, client: bool) -> None:
    for name in INCIDENT.names():
        for words in _invocations(name, probe.world.ids, probe.user):
            safe = client and name in ("status", "list", "help")
            assert (REFUSED in probe.command(words)) is not safe, words
    for words in ("", "help", "kpi"):
        assert REFUSED in probe.command(words, command="/runs")
    refused, pressed = probe.refusals(), 0
    for action_id in sorted(recorder.actions - {"client_status"}):
        for incident in probe.world.ids:
            probe.press(action_id, str(incident))
            pressed += 1
    assert probe.refusals() - refused == pressed  # each press is answered privately
    for callback_id in sorted(recorder.views):
        assert REFUSED in probe.submit(callback_id)
    _outside_events(probe)


def _channel(world: World, number: int) -> str:
    return str(world.opsbot.api(f"/incidents/{number}")["slack_channel_id"])


def _timeline(world: World, number: int) -> list[str]:
    return [e["text"] for e in world.opsbot.api(f"/incidents/{number}")["timeline"]]


@dataclass(frozen=True)
class Before:
    """The database, the Web API journal and the message sequence before outsiders act."""

    rows: dict[str, list[str]]
    calls: int
    seq: int

    @classmethod
    def take(cls, world: World) -> Before:
        state = world.opsbot.slack.state
        return cls(_snapshot(world.opsbot.db), len(state.calls()), state.last_seq)


def _nothing_happened(world: World, before: Before, user: str) -> None:
    channel = _channel(world, world.hidden)  # a home pin after the outside events settles them
    item = {"type": "message", "channel": channel, "message": {"text": "control pin"}}
    world.opsbot.driver.event(
        {"type": "pin_added", "user": "U0BOB", "channel_id": channel, "item": item}
    )
    wait_until(lambda: "control pin" in _timeline(world, world.hidden), what="control pin")
    after = _snapshot(world.opsbot.db)
    assert {k: [r for r in v if "control pin" not in r] for k, v in after.items()} == before.rows
    with world.opsbot.db.engine.connect() as conn:
        by_user = conn.execute(
            text("SELECT DISTINCT action FROM audit_log WHERE actor = :user"), {"user": user}
        ).scalars()
        assert set(by_user) <= {"access.denied"}
    state = world.opsbot.slack.state
    calls = [
        e.method
        for e in state.calls()[before.calls :]
        if e.method not in ("auth.test", "response_url")  # private answers: checked by told()
        and not (e.method == "views.open" and PROBE_TITLE in str(e.args))
    ]
    assert calls == []  # no message, modal, channel, pin or anything else by opsbot
    new = [m for m in state.all_messages() if m.seq > before.seq]
    assert all(m.visible_to == user for m in new), [m.text for m in new if m.visible_to != user]
    titles = {str(v.payload["title"]["text"]) for v in state.views.values() if v.user_id == user}
    assert titles <= {PROBE_TITLE, "Not available"}


def _assert_clean(told: str) -> None:
    for secret in INTERNAL:
        assert secret not in told, secret


def test_registered_listeners_are_all_probed(db: Database) -> None:
    recorder = _registered(db)
    on_card = {action for status in BUTTONS_BY_STATUS.values() for _, action, _ in status}
    client = {"incident_client_update", "client_update_post", "client_update_discard"}
    assert on_card | client | {"client_status"} <= recorder.actions
    assert {"incident_declare", "incident_update", "incident_client_update"} <= recorder.views


def test_client_sees_only_its_communicated_incidents(world: World, probe_for: Any) -> None:
    recorder, acme = _registered(world.opsbot.db), probe_for("U0ACMEUSER", "T0ACME", "C0ACMESHARED")
    before = Before.take(world)
    post = world.opsbot.slack.state.message("C0ACMESHARED", world.acme_post_ts)
    assert post is not None and "client_status" in str(post.blocks)
    _act_on_everything(acme, recorder, client=True)
    status = acme.command(f"status {world.acme}")
    assert ACME_SEEN in status and "checkout-api" in status
    assert "investigating" in status and f"#{world.acme}" in status
    listed = acme.command("list all")
    assert f"#{world.acme}" in listed
    unknown = acme.command("status 999")
    for other in (world.globex, world.hidden):
        assert f"#{other}" not in listed
        assert acme.command(f"status {other}") == unknown.replace("999", str(other))
    assert "There is no incident 999 you can see." in unknown
    acme.press("client_status", str(world.acme))
    wait_until(lambda: ACME_SEEN in acme.told(), what="latest status")
    for other in (world.globex, world.hidden, 999):
        acme.press("client_status", str(other))
        wait_until(lambda o=other: f"There is no incident {o} you can see." in acme.told())
    _nothing_happened(world, before, acme.user)
    _assert_clean(acme.told())
    assert "outside pin" not in str(_timeline(world, world.acme))


def test_a_stranger_is_refused_everything(world: World, probe_for: Any) -> None:
    recorder = _registered(world.opsbot.db)
    stranger = probe_for("U0STRANGER", "T0ELSEWHERE", "C0GLOBEXSHARED")
    before = Before.take(world)
    _act_on_everything(stranger, recorder, client=False)
    for incident in world.ids:
        stranger.press("client_status", str(incident))
    answers = [m for m in world.opsbot.slack.state.all_messages() if m.seq > before.seq]
    assert answers and all(REFUSED in m.text for m in answers)
    _nothing_happened(world, before, stranger.user)
    _assert_clean(stranger.told())
    assert ACME_SEEN not in stranger.told()


def test_home_users_see_the_client_view_from_the_button(world: World) -> None:
    opsbot, state = world.opsbot, world.opsbot.slack.state
    opsbot.driver.block_action(
        "client_status",
        value=str(world.acme),
        channel_id="C0ACMESHARED",
        message_ts=world.acme_post_ts,
    )
    answer = wait_until(
        lambda: [
            m
            for m in state.messages("C0ACMESHARED")
            if m.visible_to == "U0ALICE" and ACME_SEEN in str(m.blocks)
        ],
        what="client view for a home user",
    )[-1]
    assert "ACME Corp" in str(answer.blocks) and "web-3" not in str(answer.blocks)
    assert opsbot.driver.command(f"status {world.acme}").status_code == 200  # full view at home
    wait_until(
        lambda: any(
            "web-3.internal" in str(m.blocks)
            for m in state.all_messages()
            if m.visible_to == "U0ALICE"
        ),
        what="internal status for the home team",
    )
