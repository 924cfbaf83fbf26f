"""Redaction against a corpus of PII and secrets, and of harmless text that must survive."""

from __future__ import annotations

import pytest

from bot.domain.redaction import Redactor, iban_ok, luhn_ok

REDACTOR = Redactor(extra_patterns=[r"ORD-\d{6}"], names=["Jane Roe", "Globex"])

# (text, the substrings that must disappear)
SENSITIVE: list[tuple[str, list[str]]] = [
    ("Contact jane.roe@acme-corp.com for details", ["jane.roe@acme-corp.com"]),
    ("cc: ops+alerts@example.co.uk", ["ops+alerts@example.co.uk"]),
    ("Call +1 415 555 0134 now", ["+1 415 555 0134"]),
    ("UK desk 020 7946 0958", ["020 7946 0958"]),
    ("US (415) 555-0134 ext", ["(415) 555-0134"]),
    ("DE mobile +4915112345678", ["+4915112345678"]),
    ("Card 4111 1111 1111 1111 declined", ["4111 1111 1111 1111"]),
    ("Amex 378282246310005 charged", ["378282246310005"]),
    ("Card 5555-5555-5555-4444 ok", ["5555-5555-5555-4444"]),
    ("Refund to DE89 3704 0044 0532 0130 00", ["DE89 3704 0044 0532 0130 00"]),
    ("IBAN GB82WEST12345698765432", ["GB82WEST12345698765432"]),
    ("Client IP 203.0.113.42 blocked", ["203.0.113.42"]),
    ("From 2001:0db8:85a3:0000:0000:8a2e:0370:7334", ["2001:0db8:85a3:0000:0000:8a2e:0370:7334"]),
    ("link-local fe80::1ff:fe23:4567:890a", ["fe80::1ff:fe23:4567:890a"]),
    ("bot token xoxb-2940-39402-abcdefghijkl", ["xoxb-2940-39402-abcdefghijkl"]),
    ("atlassian ATATT3xFfGF0abcdefghijklmnop", ["ATATT3xFfGF0abcdefghijklmnop"]),
    ("aws AKIAIOSFODNN7EXAMPLE in logs", ["AKIAIOSFODNN7EXAMPLE"]),
    ("gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", ["ghp_abcdefghijklmnopqrstuvwxyz0123456789"]),
    ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", ["sk_live_4eC39HqLyjWDarjtT1zdp7dc"]),
    ("Authorization: Bearer abcDEF123456789.xyz", ["abcDEF123456789.xyz"]),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"],
    ),
    ("set api_key=9f8e7d6c5b4a3210 in env", ["9f8e7d6c5b4a3210"]),
    ('config password: "hunter2hunter2"', ["hunter2hunter2"]),
    ("notion secret_abcdefghijklmnopqrstuvwxyz1234", ["secret_abcdefghijklmnopqrstuvwxyz1234"]),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", ["MIIE"]),
    ("order ORD-123456 failed", ["ORD-123456"]),
    ("reported by Jane Roe of globex", ["Jane Roe", "globex"]),
]

HARMLESS: list[str] = [
    "p99 latency 2.3s on checkout since 14:02:33 UTC",
    "error rate 27% over 5m; 1,204,332 runs; 99.95% success",
    "deployed v10.20.30 (build 20261128) to eu-west-1",
    "incident #42 opened 2026-11-28, next update in 30 minutes",
    "queue depth 12345, port 8080, pid 4242, 1200 req/s",
    "order id 1234567890123 is not a card (Luhn fails): 4111 1111 1111 1112",
    "LangGraph run 1ef2c3d4-5678-90ab-cdef-1234567890ab interrupted",
    "see https://status.example.com/incidents/42 for details",
    "The API returned HTTP 503 for 7 minutes",
]


def test_every_secret_and_pii_is_removed() -> None:
    for text, secrets in SENSITIVE:
        redacted, findings = REDACTOR.redact(text)
        assert findings, text
        for secret in secrets:
            assert secret.lower() not in redacted.lower(), (text, redacted)


def test_harmless_text_survives() -> None:
    for text in HARMLESS:
        redacted, findings = REDACTOR.redact(text)
        assert findings == [], (text, redacted)
        assert redacted == text


def test_precision_and_recall(capsys: pytest.CaptureFixture[str]) -> None:
    true_positive = sum(1 for text, _ in SENSITIVE if REDACTOR.find(text))
    false_positive = sum(1 for text in HARMLESS if REDACTOR.find(text))
    recall = true_positive / len(SENSITIVE)
    precision = true_positive / (true_positive + false_positive)
    with capsys.disabled():
        print(
            f"\nredaction corpus: precision {precision:.2f}, recall {recall:.2f} "
            f"({len(SENSITIVE)} sensitive, {len(HARMLESS)} harmless samples)"
        )
    assert (precision, recall) == (1.0, 1.0)


def test_labels_keep_the_sentence_readable() -> None:
    redacted, _ = REDACTOR.redact("Mail jane@acme.com or call 020 7946 0958.")
    assert redacted == "Mail [email] or call [phone]."


@pytest.mark.parametrize(
    ("number", "ok"), [("4111111111111111", True), ("4111111111111112", False), ("0", True)]
)
def test_luhn(number: str, ok: bool) -> None:
    assert luhn_ok(number) is ok


@pytest.mark.parametrize(
    ("iban", "ok"), [("DE89 3704 0044 0532 0130 00", True), ("DE89 3704 0044 0532 0130 01", False)]
)
def test_iban(iban: str, ok: bool) -> None:
    assert iban_ok(iban) is ok
