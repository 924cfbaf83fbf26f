import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import REDACTED, SecretScrubber, configure_logging, request_id_var


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(level="INFO", fmt="json", secrets=["s3cr3t-signing"], stream=stream)
    yield stream
    logging.getLogger().handlers.clear()


@pytest.mark.parametrize(
    "leak",
    [
        "xoxb-1234567890-abcdefghij",
        "xoxp-1234-5678-abcdefgh",
        "Bearer abcdefghijklmnop",
        "Basic dXNlcjpwYXNzd29yZA==",
        "AKIAABCDEFGHIJKLMNOP",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig_nature_here",
        "secret_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
        "s3cr3t-signing",
    ],
)
def test_scrubber_removes_secrets(leak: str) -> None:
    scrubbed = SecretScrubber(["s3cr3t-signing"]).scrub(f"before {leak} after")
    assert leak not in scrubbed
    assert REDACTED in scrubbed


def test_json_lines_with_request_id(log_stream: io.StringIO) -> None:
    token = request_id_var.set("req-1")
    try:
        logging.getLogger("opsbot.test").info("hello %s", "world", extra={"incident": 7})
    finally:
        request_id_var.reset(token)
    line = json.loads(log_stream.getvalue().splitlines()[-1])
    assert line["msg"] == "hello world"
    assert line["request_id"] == "req-1"
    assert line["incident"] == 7
    assert line["level"] == "info"


def test_secret_never_reaches_the_stream(log_stream: io.StringIO) -> None:
    logging.getLogger("opsbot.test").info("token is s3cr3t-signing")
    try:
        raise ValueError("auth header Bearer abcdefghijklmnopqrst")
    except ValueError:
        logging.getLogger("opsbot.test").exception("failed")
    text = log_stream.getvalue()
    assert "s3cr3t-signing" not in text
    assert "abcdefghijklmnopqrst" not in text
    assert text.count(REDACTED) >= 2  # the message, and the traceback line(s)
