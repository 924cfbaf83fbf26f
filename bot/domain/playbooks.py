"""Incident playbooks (pure): a titled checklist of steps, read from Markdown or from YAML data.

Markdown: the first ``# `` heading is the title, ``## `` headings start sections, and every
list item (``- [ ]``, ``- [x]``, ``-``, ``*``, ``+``, ``1.``, ``1)``, nested or not) is a step;
its indented continuation lines are joined to it and a blank line ends it. Other paragraphs,
fenced code blocks and HTML comments are ignored. Checkbox marks are ignored: every step
starts unticked. YAML: ``{title, steps: [text | {text, section}]}`` or
``{title, sections: [{name, steps: [text]}]}``.

A step's ``text`` is Slack mrkdwn, safe to post as is: ``&``, ``<`` and ``>`` are escaped,
``**bold**`` becomes ``*bold*``, ``[text](url)`` and ``<url>`` become Slack links, and code
spans are kept verbatim. Titles and section names are plain text as written. Steps are keyed
``s1``, ``s2``, … in order: stable while the file's steps stay put (Slack button values, DB
keys)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import DomainError

__all__ = [
    "MAX_STEPS",
    "MAX_STEP_LENGTH",
    "Playbook",
    "PlaybookError",
    "PlaybookStep",
    "parse_markdown",
    "parse_yaml",
    "to_mrkdwn",
]

MAX_STEPS = 50
MAX_STEP_LENGTH = 500


@dataclass(frozen=True)
class PlaybookStep:
    """One checklist step: its stable key (``s1``…), mrkdwn text and section (None: none)."""

    key: str
    text: str
    section: str | None


@dataclass(frozen=True)
class Playbook:
    """A service's incident checklist: its name (builtin or reference), title and steps."""

    name: str
    title: str
    steps: tuple[PlaybookStep, ...]


class PlaybookError(DomainError):
    """A playbook that cannot be used; the message names it, the file, and the line or path."""

    def __init__(
        self, name: str, problem: str, *, where: str | None = None, file: str | None = None
    ) -> None:
        self.name = name
        self.problem = problem
        self.where = where
        self.file = file
        source = f" ({file})" if file else ""
        place = f", {where}" if where else ""
        super().__init__(f"playbook {name!r}{source}{place}: {problem}")

    def in_file(self, file: str) -> PlaybookError:
        """The same error, naming the file it came from."""
        return PlaybookError(self.name, self.problem, where=self.where, file=file)


# --- inline Markdown → Slack mrkdwn ---------------------------------------------------------

_CODE = re.compile(r"(`+)(.+?)\1(?!`)")
_INLINE = re.compile(
    r"\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)"
    r"|<(?P<auto>(?:https?://|mailto:)[^>\s|]+)(?:\|(?P<alabel>[^>\n]+))?>"
)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_LINKABLE = ("http://", "https://", "mailto:")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _url(url: str) -> str:
    return _escape(url).replace("|", "%7C")


def _prose(text: str) -> str:
    """Text outside code spans: bold, links and autolinks converted, the rest escaped."""
    text = _BOLD.sub(r"*\1*", text)
    out, last = [], 0
    for match in _INLINE.finditer(text):
        out.append(_escape(text[last : match.start()]))
        last = match.end()
        if match.group("auto"):  # <url> or Slack's own <url|label>
            label = match.group("alabel")
            tail = f"|{_escape(label)}" if label else ""
            out.append(f"<{_url(match.group('auto'))}{tail}>")
        elif match.group("url").startswith(_LINKABLE):
            out.append(f"<{_url(match.group('url'))}|{_escape(match.group('label'))}>")
        else:  # a relative link cannot be opened from Slack: keep both parts readable
            out.append(_escape(f"{match.group('label')} ({match.group('url')})"))
    out.append(_escape(text[last:]))
    return "".join(out)


def to_mrkdwn(text: str) -> str:
    """One step's inline Markdown as Slack mrkdwn (code spans kept, only escaped)."""
    out, last = [], 0
    for match in _CODE.finditer(text):
        out.append(_prose(text[last : match.start()]))
        out.append(_escape(match.group(0)))
        last = match.end()
    out.append(_prose(text[last:]))
    return "".join(out)


# --- building and checking ------------------------------------------------------------------

# (source text, section, where) of one step, before numbering
_Raw = tuple[str, str | None, str]


def _build(name: str, title: str, raws: list[_Raw]) -> Playbook:
    steps = []
    for index, (source, section, where) in enumerate(raws, start=1):
        key = f"s{index}"
        if index > MAX_STEPS:
            raise PlaybookError(name, f"more than {MAX_STEPS} steps", where=where)
        if not source:
            raise PlaybookError(name, f"step {key} is empty", where=where)
        text = to_mrkdwn(source)
        if len(text) > MAX_STEP_LENGTH:
            raise PlaybookError(
                name,
                f"step {key} is {len(text)} characters long (at most {MAX_STEP_LENGTH})",
                where=where,
            )
        steps.append(PlaybookStep(key=key, text=text, section=section))
    return Playbook(name=name, title=title, steps=tuple(steps))


# --- Markdown ---------------------------------------------------------------------------------

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
_CHECKBOX = re.compile(r"^\[[ xX]\](?:[ \t]+|$)")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


def parse_markdown(text: str, *, name: str) -> Playbook:
    """Read a Markdown playbook; ``PlaybookError`` names the line of any problem."""
    title: str | None = None
    section: str | None = None
    raws: list[_Raw] = []
    current: list[str] | None = None  # the open list item's lines
    start = 0
    fence: tuple[str, int] | None = None  # the open fence's marker and line
    comment: int | None = None  # the open HTML comment's line

    def close() -> None:
        nonlocal current
        if current is not None:
            raws.append((" ".join(current).strip(), section, f"line {start}"))
            current = None

    for number, line in enumerate(text.splitlines(), start=1):
        if fence is not None:
            marker = _FENCE.match(line)
            if (
                marker
                and marker.group(1)[0] == fence[0][0]
                and len(marker.group(1)) >= len(fence[0])
            ):
                fence = None
            continue
        if comment is not None:
            if "-->" in line:
                comment = None
            continue
        stripped = line.strip()
        if not stripped:
            close()
        elif marker := _FENCE.match(line):
            close()
            fence = (marker.group(1), number)
        elif stripped.startswith("<!--"):
            close()
            if "-->" not in stripped:
                comment = number
        elif heading := _HEADING.match(line):
            close()
            level, words = len(heading.group(1)), (heading.group(2) or "").strip()
            if level == 1 and title is None and words:
                title = words
            elif level == 2:
                section = words or None
        elif _RULE.match(line):
            close()
        elif item := _ITEM.match(line):
            close()
            current = [_CHECKBOX.sub("", (item.group(1) or "").strip(), count=1)]
            start = number
        elif current is not None and line[0] in " \t":
            current.append(stripped)
        else:  # a paragraph, table, quote…: not a step
            close()
    close()
    if fence is not None:
        raise PlaybookError(name, "code fence is never closed", where=f"line {fence[1]}")
    if comment is not None:
        raise PlaybookError(name, "HTML comment is never closed", where=f"line {comment}")
    if not raws:
        raise PlaybookError(name, "no steps found (write them as list items: `- [ ] step`)")
    return _build(name, title or name, raws)


# --- YAML -------------------------------------------------------------------------------------


def _text(name: str, value: object, where: str, what: str = "a string") -> str:
    if not isinstance(value, str):
        raise PlaybookError(name, f"expected {what}", where=where)
    return " ".join(part.strip() for part in value.splitlines() if part.strip())


def _keys(name: str, data: dict[object, object], allowed: set[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise PlaybookError(name, f"unknown key (expected {known})", where=f"{where}{key}")


def _list(name: str, value: object, where: str) -> list[object]:
    if not isinstance(value, list) or not value:
        raise PlaybookError(name, "expected a non-empty list", where=where)
    return value


def parse_yaml(data: object, *, name: str) -> Playbook:
    """Read a playbook from loaded YAML; ``PlaybookError`` names the path of any problem."""
    shape = "expected a mapping with a title and steps or sections"
    if not isinstance(data, dict):
        raise PlaybookError(name, shape, where="(top level)")
    _keys(name, data, {"title", "steps", "sections"}, "")
    title = _text(name, data["title"], "title") if "title" in data else name
    raws: list[_Raw] = []
    if ("steps" in data) == ("sections" in data):
        raise PlaybookError(name, f"{shape} (exactly one of the two)", where="(top level)")
    if "steps" in data:
        for index, item in enumerate(_list(name, data["steps"], "steps")):
            where = f"steps[{index}]"
            if isinstance(item, dict):
                _keys(name, item, {"text", "section"}, f"{where}.")
                if "text" not in item:
                    raise PlaybookError(name, "missing key", where=f"{where}.text")
                text = _text(name, item["text"], f"{where}.text")
                section = item.get("section")
                if section is not None:
                    section = _text(name, section, f"{where}.section") or None
                raws.append((text, section, where))
            else:
                raws.append((_text(name, item, where, "a string or {text, section}"), None, where))
    else:
        for index, group in enumerate(_list(name, data["sections"], "sections")):
            where = f"sections[{index}]"
            if not isinstance(group, dict):
                raise PlaybookError(name, "expected a mapping with name and steps", where=where)
            _keys(name, group, {"name", "steps"}, f"{where}.")
            for key in ("name", "steps"):
                if key not in group:
                    raise PlaybookError(name, "missing key", where=f"{where}.{key}")
            section = _text(name, group["name"], f"{where}.name") or None
            for number, item in enumerate(_list(name, group["steps"], f"{where}.steps")):
                step_where = f"{where}.steps[{number}]"
                raws.append((_text(name, item, step_where), section, step_where))
    return _build(name, title or name, raws)
