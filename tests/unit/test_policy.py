from datetime import timedelta
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.policy import Policy, load_policy

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    policy = load_policy(None)
    assert policy == Policy()
    assert policy.alerting.severity_map["critical"] == "S1"
    assert policy.alerting.reopen_window == timedelta(hours=1)
    assert policy.services["default"].default_severity == "S3"


def test_shipped_example_is_valid() -> None:
    policy = load_policy(ROOT / "opsbot.example.yml")
    assert policy.slack.incidents_channel == "C0INCIDENTS"
    assert policy.services["checkout-api"].oncall == ["U0ONCALL1"]
    assert policy.alerting.max_new_incidents_per_minute == 10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alerting:\n  reopen_window: soon\n", "alerting.reopen_window: Value error, invalid"),
        ("alerting:\n  severity_map: {critical: S9}\n", "alerting.severity_map.critical"),
        ("slak:\n  incidents_channel: C1\n", "slak: unknown key"),
        ("services:\n  api: {oncal: [U1]}\n", "services.api.oncal: unknown key"),
        ("- a\n- b\n", "the top level must be a mapping"),
        ("alerting: [\n", "not valid YAML"),
        ("alerting:\n  max_new_incidents_per_minute: 0\n", "max_new_incidents_per_minute"),
    ],
)
def test_bad_policy_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "opsbot.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="OPSBOT_CONFIG: cannot read"):
        load_policy(tmp_path / "nope.yml")


def test_empty_file_is_defaults(tmp_path: Path) -> None:
    path = tmp_path / "opsbot.yml"
    path.write_text("# nothing yet\n")
    assert load_policy(path).model_dump() == Policy().model_dump()
