"""The RCA (pure): its sections and their fields, when a section counts as done, and the
finished RCA as one Markdown document.

An RCA starts when an incident is resolved and is due by severity. Each section is filled in
through its own form; ``action_items`` is done once at least one action item exists (or the
form says there are none, with a reason).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.durations import format_duration

__all__ = [
    "ACTION_ITEMS",
    "SECTIONS",
    "ActionItem",
    "RcaFacts",
    "RcaField",
    "RcaSection",
    "RcaStatus",
    "SectionState",
    "missing_fields",
    "render_markdown",
    "section",
    "section_done",
]

ACTION_ITEMS = "action_items"


@dataclass(frozen=True)
class RcaField:
    """One input of a section's form."""

    key: str
    label: str
    multiline: bool = True
    required: bool = True
    hint: str = ""


@dataclass(frozen=True)
class RcaSection:
    """One RCA section: its key (stable), title and form fields."""

    key: str
    title: str
    fields: tuple[RcaField, ...]
    at_least: int = 0  # when > 0: this many fields filled is enough (five whys)


SECTIONS: tuple[RcaSection, ...] = (
    RcaSection(
        "timeline",
        "Timeline reviewed",
        (
            RcaField("reviewed", "Timeline reviewed by", multiline=False, hint="names"),
            RcaField("corrections", "Corrections or missing events", required=False),
        ),
    ),
    RcaSection(
        "impact",
        "Impact",
        (
            RcaField("duration", "Duration", multiline=False),
            RcaField("clients", "Clients affected"),
            RcaField("users", "Users affected", hint="how many, and how"),
        ),
    ),
    RcaSection("root_cause", "Root cause", (RcaField("text", "Root cause"),)),
    RcaSection("contributing", "Contributing factors", (RcaField("text", "Contributing factors"),)),
    RcaSection(
        "five_whys",
        "Five whys",
        tuple(
            RcaField(f"why{n}", f"Why {n}?", multiline=False, required=False) for n in range(1, 6)
        ),
        at_least=3,
    ),
    RcaSection(
        "went",
        "What went well and badly",
        (RcaField("well", "What went well"), RcaField("badly", "What went badly")),
    ),
    RcaSection(
        ACTION_ITEMS,
        "Action items",
        (RcaField("none_reason", "No action items, because", required=False),),
    ),
)
_BY_KEY = {s.key: s for s in SECTIONS}


@dataclass(frozen=True)
class ActionItem:
    """A follow-up: what, who owns it, by when; ``jira_key`` once its issue exists."""

    text: str
    owner: str
    due: date
    jira_key: str | None = None


@dataclass(frozen=True)
class RcaFacts:
    """What the document says about the incident itself."""

    number: int
    title: str
    severity: str
    service: str
    client: str | None
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    summary: str | None


@dataclass(frozen=True)
class SectionState:
    """One section: its definition, whether it is done, what was written."""

    section: RcaSection
    done: bool
    values: dict[str, str]


@dataclass(frozen=True)
class RcaStatus:
    """Where an incident's RCA stands."""

    incident_id: int
    status: str
    started: bool
    due_at: datetime | None
    sections: tuple[SectionState, ...]
    actions: tuple[tuple[int, ActionItem], ...]
    completed_at: datetime | None
    waived_by: str | None
    waiver_reason: str | None

    @property
    def done(self) -> int:
        """Sections done."""
        return sum(1 for s in self.sections if s.done)

    @property
    def complete(self) -> bool:
        """All sections done (the RCA was completed)."""
        return self.completed_at is not None


def section(key: str) -> RcaSection:
    """The section called ``key``; ``KeyError`` for an unknown one."""
    return _BY_KEY[key]


def missing_fields(sec: RcaSection, values: Mapping[str, str]) -> dict[str, str]:
    """Form errors by field key (empty: the values complete the section)."""
    filled = {f.key for f in sec.fields if (values.get(f.key) or "").strip()}
    if sec.at_least:
        needed = [f.key for f in sec.fields[: sec.at_least] if f.key not in filled]
        if len(filled) < sec.at_least and needed:
            return {needed[0]: f"Answer at least {sec.at_least} whys."}
        return {}
    if sec.key == ACTION_ITEMS:
        return {}
    return {f.key: "Needed." for f in sec.fields if f.required and f.key not in filled}


def section_done(sec: RcaSection, values: Mapping[str, str], actions: int) -> bool:
    """Whether the section is complete."""
    if sec.key == ACTION_ITEMS:
        return actions > 0 or bool((values.get("none_reason") or "").strip())
    return bool(values) and not missing_fields(sec, values)


def render_markdown(
    facts: RcaFacts,
    contents: Mapping[str, Mapping[str, str]],
    actions: Sequence[ActionItem],
    *,
    names: Mapping[str, str] | None = None,
) -> str:
    """The RCA as one Markdown document (``names`` maps Slack user ids to display names)."""
    who = dict(names or {})
    lines = [f"# RCA: incident #{facts.number}: {facts.title}", ""]
    lines += _facts(facts)
    for sec in SECTIONS:
        lines += ["", f"## {sec.title}", ""]
        values = contents.get(sec.key, {})
        if sec.key == ACTION_ITEMS:
            lines += _actions(actions, values, who)
            continue
        for fld in sec.fields:
            value = (values.get(fld.key) or "").strip()
            if not value:
                continue
            if sec.key == "five_whys":
                lines.append(f"{fld.key[-1]}. {value}")
            elif len(sec.fields) == 1:
                lines.append(value)
            else:
                lines += [f"**{fld.label}:** {value}", ""]
    return "\n".join(_trim(lines)) + "\n"


def _facts(facts: RcaFacts) -> list[str]:
    rows = [
        ("Severity", facts.severity),
        ("Service", facts.service),
        ("Client", facts.client or "none"),
        ("Opened", _when(facts.opened_at)),
        ("Acknowledged", _when(facts.acknowledged_at)),
        ("Resolved", _when(facts.resolved_at)),
    ]
    if facts.resolved_at is not None:
        rows.append(("Duration", format_duration(facts.resolved_at - facts.opened_at)))
    lines = [f"- **{label}:** {value}" for label, value in rows]
    if facts.summary:
        lines += ["", facts.summary]
    return lines


def _actions(
    actions: Sequence[ActionItem], values: Mapping[str, str], who: dict[str, str]
) -> list[str]:
    if not actions:
        reason = (values.get("none_reason") or "").strip()
        return [f"None: {reason}" if reason else "None."]
    lines = []
    for item in actions:
        owner = who.get(item.owner, item.owner)
        issue = f" ({item.jira_key})" if item.jira_key else ""
        lines.append(f"- [ ] {item.text}: owner {owner}, due {item.due.isoformat()}{issue}")
    return lines


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "n/a"


def _trim(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return out
