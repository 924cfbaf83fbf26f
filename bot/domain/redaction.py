"""Redaction of PII and secrets before anything leaves for a client (pure).

Finds e-mail addresses, phone numbers, IP addresses, card numbers (Luhn-checked), IBANs
(mod-97-checked), API keys and tokens (Slack, Jira/Atlassian, AWS, GitHub, bearer and JWT
shapes, ``key=value`` secrets, private keys), plus configured patterns and names. Each find
is replaced by a label such as ``[email]`` so the reader still understands the sentence."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Finding", "Redactor", "iban_ok", "luhn_ok"]


@dataclass(frozen=True)
class Finding:
    """One thing removed: what kind, and where it was in the original text."""

    kind: str
    start: int
    end: int


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a card number."""
    total, double = 0, False
    for char in reversed(digits):
        value = int(char)
        if double:
            value = value * 2 - 9 if value > 4 else value * 2
        total, double = total + value, not double
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN (spaces ignored)."""
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


_Check = Callable[[str], bool]
# (kind, pattern, extra check) — order matters: specific shapes before generic ones.
_RULES: tuple[tuple[str, re.Pattern[str], _Check | None], ...] = (
    (
        "secret",
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
        None,
    ),
    ("secret", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}"), None),
    ("secret", re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"), None),
    ("secret", re.compile(r"\bATATT[A-Za-z0-9_=-]{16,}"), None),
    ("secret", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), None),
    ("secret", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"), None),
    ("secret", re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b"), None),
    ("secret", re.compile(r"\b(?:secret|ntn)_[A-Za-z0-9]{24,}\b"), None),
    ("secret", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), None),
    ("secret", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{12,}"), None),
    (
        "secret",
        re.compile(
            r"(?i)\b(?:api[_-]?key|access[_-]?key|secret|token|password|passwd|pwd)"
            r"(\s*[:=]\s*)[\"']?[^\s\"',;]{6,}"
        ),
        None,
    ),
    ("email", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"), None),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"), iban_ok),
    (
        "card",
        re.compile(r"(?<![+\d])\b(?:\d[ -]?){12,18}\d\b"),
        lambda m: 13 <= len(_digits(m)) <= 19 and luhn_ok(_digits(m)),
    ),
    (
        "ip",
        re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"),
        None,
    ),
    (
        "ip",
        re.compile(
            r"(?i)(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}"
            r"|(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})(?![\w:])"
        ),
        None,
    ),
    (
        "phone",
        re.compile(
            r"(?<![\w/.+(-])(?<!\d[ .-])"
            r"(?:\+\d{8,15}"  # compact international
            r"|(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{3,4})"
            r"(?![\w/-])(?![ .-]?\d)"
        ),
        lambda m: 9 <= len(_digits(m)) <= 15,
    ),
)


class Redactor:
    """Built once from the policy's extra patterns and names; ``redact`` is pure."""

    def __init__(self, *, extra_patterns: Iterable[str] = (), names: Iterable[str] = ()) -> None:
        extra: list[tuple[str, re.Pattern[str], _Check | None]] = [
            ("redacted", re.compile(pattern), None) for pattern in extra_patterns
        ]
        for name in names:
            if name.strip():
                extra.append(("name", re.compile(rf"(?i)\b{re.escape(name.strip())}\b"), None))
        self._rules = (*_RULES[:11], *extra, *_RULES[11:])

    def find(self, text: str) -> list[Finding]:
        """Everything to remove, non-overlapping, in order."""
        taken: list[Finding] = []
        for kind, pattern, check in self._rules:
            for match in pattern.finditer(text):
                if check is not None and not check(match.group(0)):
                    continue
                if any(match.start() < f.end and f.start < match.end() for f in taken):
                    continue
                taken.append(Finding(kind, match.start(), match.end()))
        return sorted(taken, key=lambda f: f.start)

    def redact(self, text: str) -> tuple[str, list[Finding]]:
        """The text with each find replaced by ``[kind]``, and the finds."""
        findings = self.find(text)
        out, cursor = [], 0
        for finding in findings:
            out.append(text[cursor : finding.start])
            out.append(f"[{finding.kind}]")
            cursor = finding.end
        out.append(text[cursor:])
        return "".join(out), findings
