"""A small JQL subset: ``field op value`` clauses joined by ``AND``, then ``ORDER BY``.

Fields: ``project``, ``key``/``issuekey``, ``id``, ``labels``, ``status``, ``issuetype``/``type``,
``priority``, ``component``, ``resolution``. Operators: ``=``, ``!=``, ``in (…)``, ``not in (…)``,
``is EMPTY``, ``is not EMPTY``. Ordering: ``created``, ``updated``, ``key``, ``priority``. Anything
else (``OR``, ``NOT``, parentheses, functions, ``~``) is rejected with a clear message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ._models import Issue

SUPPORTED = (
    "supported: project, key, id, labels, status, issuetype, priority, component, resolution "
    "with =, !=, in (...), not in (...), is [not] EMPTY, joined by AND, then ORDER BY "
    "created|updated|key|priority [ASC|DESC]"
)

_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|[=(),~<>])"""
    r"""|(?P<word>[^\s=!(),~<>"']+))"""
)
_FIELD_ALIASES = {"issuekey": "key", "type": "issuetype", "components": "component"}
_FIELDS = {"project", "key", "id", "labels", "status", "issuetype", "priority", "component"}
_FIELDS |= {"resolution"}
_ORDER_FIELDS = {"created", "updated", "key", "priority"}


class JqlError(ValueError):
    """The query is malformed or outside the supported subset (answered as HTTP 400)."""


@dataclass(frozen=True)
class Clause:
    """One condition: ``field op values`` (``op`` is ``=``, ``!=``, ``in``, ``not in``, ``is``…)."""

    field: str
    op: str
    values: tuple[str, ...]


@dataclass
class Query:
    """A parsed query: conditions (all must hold) and the sort keys."""

    clauses: list[Clause] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)


def _tokens(jql: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = jql.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise JqlError(f"Error in the JQL Query: unexpected character at position {pos + 1}.")
        pos = m.end()
        if m.group("str") is not None:
            raw = m.group("str")[1:-1]
            out.append(("str", re.sub(r"\\(.)", r"\1", raw)))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        elif m.group("word") is not None:
            out.append(("word", m.group("word")))
    return out


class _Parser:
    def __init__(self, jql: str) -> None:
        self.toks = _tokens(jql)
        self.i = 0

    def peek(self, ahead: int = 0) -> tuple[str, str] | None:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def word(self, *expected: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "word" and tok[1].lower() in expected

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise JqlError("Error in the JQL Query: the query ended unexpectedly.")
        self.i += 1
        return tok

    def expect_op(self, op: str) -> None:
        kind, text = self.take()
        if kind != "op" or text != op:
            raise JqlError(f"Error in the JQL Query: expecting '{op}' but got '{text}'.")

    def value(self) -> str:
        kind, text = self.take()
        if kind == "op":
            raise JqlError(f"Error in the JQL Query: expecting a value but got '{text}'.")
        if kind == "word" and self.word_is_call():
            raise JqlError(f"JQL functions such as '{text}()' are not supported; {SUPPORTED}.")
        return text

    def next_is_in(self) -> bool:
        tok = self.peek(1)
        return tok is not None and tok[0] == "word" and tok[1].lower() == "in"

    def word_is_call(self) -> bool:
        tok = self.peek()
        return tok is not None and tok == ("op", "(")

    def parse(self) -> Query:
        query = Query()
        if self.peek() is not None and not self.word("order"):
            query.clauses.append(self.clause())
            while self.word("and"):
                self.i += 1
                query.clauses.append(self.clause())
        if self.word("or", "not"):
            raise JqlError(
                f"The sandbox Jira does not support '{self.take()[1]}' in JQL; {SUPPORTED}."
            )
        if self.word("order"):
            self.i += 1
            if not self.word("by"):
                raise JqlError("Error in the JQL Query: expecting 'by' after 'order'.")
            self.i += 1
            query.order.append(self.sort_key())
            while self.peek() == ("op", ","):
                self.i += 1
                query.order.append(self.sort_key())
        if self.peek() is not None:
            raise JqlError(f"Error in the JQL Query: unexpected '{self.take()[1]}'; {SUPPORTED}.")
        return query

    def sort_key(self) -> tuple[str, bool]:
        name = self.take()[1].lower()
        if name not in _ORDER_FIELDS:
            raise JqlError(f"The sandbox Jira cannot order by '{name}'; {SUPPORTED}.")
        desc = False
        if self.word("asc", "desc"):
            desc = self.take()[1].lower() == "desc"
        return name, desc

    def clause(self) -> Clause:
        kind, text = self.take()
        if kind == "op" and text == "(":
            raise JqlError(f"The sandbox Jira does not support parentheses in JQL; {SUPPORTED}.")
        name = _FIELD_ALIASES.get(text.lower(), text.lower())
        if kind != "word" or name not in _FIELDS:
            raise JqlError(
                f"The sandbox Jira does not support the JQL field '{text}'; {SUPPORTED}."
            )
        if self.word("is"):
            self.i += 1
            negate = self.word("not")
            self.i += int(negate)
            if not self.word("empty", "null"):
                raise JqlError("Error in the JQL Query: expecting EMPTY after IS.")
            self.i += 1
            return Clause(name, "is not" if negate else "is", ())
        if self.word("in") or (self.word("not") and self.next_is_in()):
            op = "in" if self.word("in") else "not in"
            self.i += 1 if op == "in" else 2
            self.expect_op("(")
            values = [self.value()]
            while self.peek() == ("op", ","):
                self.i += 1
                values.append(self.value())
            self.expect_op(")")
            return Clause(name, op, tuple(values))
        op_kind, op = self.take()
        if op_kind != "op" or op not in ("=", "!="):
            raise JqlError(
                f"The sandbox Jira does not support the JQL operator '{op}'; {SUPPORTED}."
            )
        return Clause(name, op, (self.value(),))


def parse(jql: str) -> Query:
    """Parse ``jql``; raises :class:`JqlError` with Jira-like wording."""
    return _Parser(jql).parse()


def _issue_values(issue: Issue, name: str) -> list[str]:
    single: dict[str, str | None] = {
        "project": issue.project_key,
        "key": issue.key,
        "id": issue.id,
        "status": issue.status,
        "issuetype": issue.issue_type,
        "priority": issue.priority,
        "resolution": issue.resolution,
    }
    if name == "labels":
        return list(issue.labels)
    if name == "component":
        return list(issue.components)
    value = single[name]
    return [] if value is None else [value]


def _norm(name: str, value: str) -> str:
    # Labels are case-sensitive in Jira; names of statuses, types, projects and keys are not.
    return value if name == "labels" else value.lower()


def matcher(query: Query) -> Callable[[Issue], bool]:
    """A predicate true for the issues the query selects."""

    def ok(issue: Issue) -> bool:
        for c in query.clauses:
            have = {_norm(c.field, v) for v in _issue_values(issue, c.field)}
            want = {_norm(c.field, v) for v in c.values}
            hit = bool(have & want)
            if c.op in ("=", "in") and not hit:
                return False
            if c.op in ("!=", "not in") and (hit or not have):
                return False  # like Jira, != never matches an empty field
            if (c.op == "is" and have) or (c.op == "is not" and not have):
                return False
        return True

    return ok


def sort(issues: list[Issue], query: Query, priority_rank: dict[str, int]) -> list[Issue]:
    """Issues ordered by the query's ORDER BY (creation order when there is none)."""
    out = sorted(issues, key=lambda i: i.seq)
    for name, desc in reversed(query.order):
        if name == "priority":
            out.sort(key=lambda i: priority_rank.get(i.priority or "", 99), reverse=desc)
        elif name == "key":
            out.sort(key=lambda i: (i.project_key, int(i.key.rsplit("-", 1)[1])), reverse=desc)
        elif name == "updated":
            out.sort(key=lambda i: i.updated, reverse=desc)
        else:
            out.sort(key=lambda i: i.seq, reverse=desc)
    return out
