"""``/incident``: parse (pure, before the ack), ack at once, then call one service and answer
through ``respond`` (ephemeral). Wrong input is answered in the ack itself with the usage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from anyio import to_thread
from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import rca_cards, report_cards
from bot.domain import rca as rca_domain
from bot.domain.commands import INCIDENT, Parsed
from bot.domain.incident_args import parse_declare, parse_severity, parse_user, split_target
from bot.domain.lifecycle import Action, Refused
from bot.domain.report import parse_window
from bot.errors import UsageError
from bot.services.checklist_service import ChecklistService
from bot.services.lifecycle import Actor, Change
from bot.services.registry import IncidentQueries, LifecycleService
from handlers.slack import incident_blocks as ui
from handlers.slack.blocks import help_blocks, usage_error_blocks

__all__ = ["on_incident"]

T = TypeVar("T")
_USAGE = INCIDENT.usage()
_SIMPLE = {"ack": Action.ACK, "reopen": Action.REOPEN}
_SECTIONS = [s.key for s in rca_domain.SECTIONS]


@dataclass(frozen=True)
class Plan:
    """What the command asks for, once parsed."""

    name: str
    number: int | None = None
    change: Change | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def plan(parsed: Parsed) -> Plan:
    """Parse the arguments of one sub-command; raises ``UsageError``."""
    number, rest = split_target(parsed.args)
    name = parsed.name
    if name == "declare":
        return Plan(
            name, extra={"args": parse_declare(parsed.args, _USAGE) if parsed.args else None}
        )
    if name in _SIMPLE:
        return Plan(name, number, Change(_SIMPLE[name]))
    if name == "close":
        return Plan(name, number, _close(rest))
    if name == "rca":
        if len(rest) > 1 or (rest and rest[0].lower() not in _SECTIONS):
            sections = ", ".join(f"`{key}`" for key in _SECTIONS)
            raise UsageError(
                f"`/incident rca [number] [section]`; sections: {sections}.", usage=_USAGE
            )
        return Plan(name, number, extra={"section": rest[0].lower() if rest else None})
    if name in ("update", "note", "resolve"):
        text = " ".join(rest).strip() or None
        if name == "note" and text is None:
            raise UsageError("A note needs text: `/incident note <text>`.", usage=_USAGE)
        action = {"update": Action.UPDATE, "note": Action.NOTE, "resolve": Action.RESOLVE}[name]
        return Plan(name, number, Change(action, text=text) if text else None)
    if name == "sev":
        if not rest:
            raise UsageError("Which severity? `/incident sev S1 [reason]`.", usage=_USAGE)
        severity = parse_severity(rest[0], _USAGE)
        reason = " ".join(rest[1:]) or None
        return Plan(name, number, Change(Action.SEVERITY, severity=severity, text=reason))
    if name == "assign":
        if len(rest) != 2:
            raise UsageError("`/incident assign <role> <@user>`.", usage=_USAGE)
        user = parse_user(rest[1], _USAGE)
        return Plan(name, number, Change(Action.ASSIGN, role=rest[0].lower(), user_id=user))
    if name == "report":
        return Plan(name, extra={"since": parse_window(parsed.args, _USAGE)})
    if name == "list":
        which = rest[0].lower() if rest else "open"
        if which not in ("open", "all"):
            raise UsageError("`/incident list [open|all]`.", usage=_USAGE)
        return Plan(name, extra={"which": which})
    return Plan(name, number)  # status, timeline


def _close(rest: tuple[str, ...]) -> Change:
    if not rest:
        return Change(Action.CLOSE)
    if rest[0] != "--waive":
        raise UsageError("`/incident close [number] [--waive <reason>]`.", usage=_USAGE)
    reason = " ".join(rest[1:]).strip()
    if not reason:
        raise UsageError(
            "A waiver needs a reason: `/incident close --waive <reason>`.", usage=_USAGE
        )
    return Change(Action.CLOSE, text=reason, waive=True)


async def on_incident(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    lifecycle: LifecycleService,
    incidents: IncidentQueries,
    checklists: ChecklistService,
) -> None:
    """The ``/incident`` listener."""
    try:
        parsed = INCIDENT.parse(command.get("text") or "")
        if parsed.name == "help":
            await ack(text=_USAGE, blocks=help_blocks(INCIDENT))
            return
        job = plan(parsed)
    except UsageError as exc:
        await ack(text=str(exc), blocks=usage_error_blocks(str(exc), INCIDENT))
        return
    await ack()
    ctx = _Ctx(command, respond, client, lifecycle, incidents, checklists)
    await _run(job, ctx)


@dataclass(frozen=True)
class _Ctx:
    command: dict[str, Any]
    respond: AsyncRespond
    client: AsyncWebClient
    lifecycle: LifecycleService
    incidents: IncidentQueries
    checklists: ChecklistService

    @property
    def actor(self) -> Actor:
        return Actor(user_id=str(self.command.get("user_id", "")), surface="slash")

    async def say(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        await self.respond(text=text, blocks=blocks, response_type="ephemeral")

    def now(self) -> datetime:
        return self.checklists.clock()

    async def call(self, func: Callable[[], Any]) -> Any:
        return await to_thread.run_sync(func)


async def _run(job: Plan, ctx: _Ctx) -> None:
    try:
        await _HANDLERS[job.name](job, ctx)
    except Refused as exc:
        await ctx.say(f":no_entry: {exc}")
    except LookupError as exc:
        await ctx.say(str(exc.args[0]) if exc.args else "Not found.")


async def _target(job: Plan, ctx: _Ctx) -> int | None:
    if job.number is not None:
        return job.number
    channel = str(ctx.command.get("channel_id", ""))
    found: int | None = await ctx.call(lambda: ctx.lifecycle.in_channel(channel))
    if found is None:
        await ctx.say(
            f"This is not an incident channel: give the number, e.g. `/incident {job.name} 42`."
        )
    return found


async def _declare(job: Plan, ctx: _Ctx) -> None:
    args = job.extra["args"]
    if args is None:
        trigger = str(ctx.command.get("trigger_id", ""))
        await ctx.client.views_open(
            trigger_id=trigger, view=ui.declare_modal(str(ctx.command.get("channel_id", "")))
        )
        return
    view = await ctx.call(
        lambda: ctx.lifecycle.declare(
            title=args.title,
            severity=args.severity,
            service=args.service,
            client=args.client,
            actor=ctx.actor,
        )
    )
    await ctx.say(
        f"Incident #{view.number} declared ({view.severity.value}); its channel is on the way."
    )


async def _change(job: Plan, ctx: _Ctx) -> None:
    number = await _target(job, ctx)
    if number is None:
        return
    if job.change is None:  # update or resolve without text: a form
        modal = ui.update_modal(number) if job.name == "update" else ui.resolve_modal(number)
        await ctx.client.views_open(trigger_id=str(ctx.command.get("trigger_id", "")), view=modal)
        return
    change = job.change
    view = await ctx.call(lambda: ctx.lifecycle.apply(number, change, ctx.actor))
    await ctx.say(f"Done: #{view.number} is {view.status} ({view.severity.value}).")


async def _status(job: Plan, ctx: _Ctx) -> None:
    number = job.number
    if number is None:
        channel = str(ctx.command.get("channel_id", ""))
        number = await ctx.call(lambda: ctx.lifecycle.in_channel(channel))
    if number is None:
        await _list(Plan("list", extra={"which": "open"}), ctx)
        return
    found = number
    view = await ctx.call(lambda: ctx.lifecycle.view(found))
    if view is None:
        await ctx.say(f"There is no incident {found}.")
        return
    await ctx.say(f"#{view.number} is {view.status}", ui.status_blocks(view))


async def _list(job: Plan, ctx: _Ctx) -> None:
    which = job.extra.get("which", "open")
    rows = await ctx.call(
        lambda: ctx.incidents.list(status=which, service=None, severity=None, limit=100)
    )
    views = [v for v in (await ctx.call(lambda: [ctx.lifecycle.view(r["id"]) for r in rows])) if v]
    await ctx.say(f"{len(views)} incidents", ui.incident_list(views, label=which))


async def _read(job: Plan, ctx: _Ctx, fetch: Callable[[int], T | None]) -> tuple[int, T] | None:
    """The target incident's number and what ``fetch`` reads for it; says so when missing."""
    number = await _target(job, ctx)
    if number is None:
        return None
    found = number
    value = await ctx.call(lambda: fetch(found))
    if value is None:
        await ctx.say(f"There is no incident {found}.")
        return None
    return found, value


async def _timeline(job: Plan, ctx: _Ctx) -> None:
    read = await _read(job, ctx, ctx.lifecycle.timeline)
    if read is not None:
        number, entries = read
        await ctx.say(f"Timeline of #{number}", ui.timeline_blocks(number, entries))


async def _sync(job: Plan, ctx: _Ctx) -> None:
    read = await _read(job, ctx, ctx.lifecycle.sync_state)
    if read is not None:
        text = ui.sync_text(*read)
        await ctx.say(text, ui.sync_blocks(text))


async def _checklist(job: Plan, ctx: _Ctx) -> None:
    read = await _read(job, ctx, ctx.lifecycle.view)
    if read is None:
        return
    view = read[1]
    text, blocks = await ctx.call(lambda: ctx.checklists.message(view))
    await ctx.say(text, blocks)


async def _rca(job: Plan, ctx: _Ctx) -> None:
    read = await _read(job, ctx, ctx.checklists.rca)
    if read is None:
        return
    number, status = read
    key = job.extra.get("section")
    if key is None or not status.started:
        await ctx.say(f"RCA of #{number}", rca_cards.rca_status_blocks(number, status))
        return
    state = next(s for s in status.sections if s.section.key == key)
    modal = rca_cards.section_modal(number, state.section, state.values)
    await ctx.client.views_open(trigger_id=str(ctx.command.get("trigger_id", "")), view=modal)


async def _report(job: Plan, ctx: _Ctx) -> None:
    now, window = ctx.now(), job.extra["since"]
    review = await ctx.call(
        lambda: ctx.incidents.review(policy=ctx.lifecycle.policy, since=now - window, now=now)
    )
    await ctx.say(*report_cards.report_message(review))


_HANDLERS: dict[str, Callable[[Plan, _Ctx], Awaitable[None]]] = {
    "declare": _declare,
    "ack": _change,
    "update": _change,
    "sev": _change,
    "assign": _change,
    "note": _change,
    "resolve": _change,
    "reopen": _change,
    "close": _change,
    "status": _status,
    "list": _list,
    "timeline": _timeline,
    "sync": _sync,
    "checklist": _checklist,
    "rca": _rca,
    "report": _report,
}
