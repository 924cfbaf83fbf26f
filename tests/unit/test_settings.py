from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import get_settings


def test_defaults_need_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = get_settings()
    assert settings.database_url == "sqlite:///./opsbot.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert (settings.opsbot_host, settings.opsbot_port) == ("127.0.0.1", 8080)
    assert not any(settings.enabled(n) for n in ("slack", "jira", "notion", "prometheus"))
    assert settings.policy_path() is None


def test_environment_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-123-abc")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "0123456789abcdef")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    monkeypatch.setenv("OPSBOT_PORT", "9000")
    settings = get_settings()
    assert settings.enabled("slack")
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1/test"
    assert settings.opsbot_port == 9000
    assert "xoxb-123-abc" not in repr(settings)


def test_blank_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("SLACK_BOT_TOKEN", " ")
    settings = get_settings()
    assert settings.database_url == "sqlite:///./opsbot.db"
    assert settings.slack_bot_token is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JIRA_URL": "https://x.atlassian.net"}, "JIRA_USER, JIRA_API_TOKEN, JIRA_PROJECT: req"),
        ({"SLACK_BOT_TOKEN": "xoxb-1-2"}, "SLACK_SIGNING_SECRET: required for the slack"),
        ({"OPSBOT_PORT": "http"}, "OPSBOT_PORT: Input should be a valid integer"),
        ({"OPSBOT_PORT": "70000"}, "OPSBOT_PORT: Input should be less than or equal to 65535"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL: use sqlite:///path.db or postgresql"),
        ({"SLACK_API_URL": "slack.com"}, "SLACK_API_URL: must be an http(s) URL"),
        ({"OPSBOT_API_TOKEN": "changethis"}, "OPSBOT_API_TOKEN: a placeholder value is refused"),
    ],
)
def test_bad_config_names_the_key(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as caught:
        get_settings()
    assert message in str(caught.value)


def test_placeholder_allowed_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_ENV", "development")
    monkeypatch.setenv("OPSBOT_API_TOKEN", "changethis")
    assert get_settings().opsbot_api_token is not None


def test_dotenv_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PROMETHEUS_URL=http://127.0.0.1:9090\n")
    assert get_settings().enabled("prometheus")


def test_secret_values_for_scrubber(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERTMANAGER_TOKEN", "am-token-value")
    monkeypatch.setenv("N8N_URL", "http://n8n")
    monkeypatch.setenv("N8N_API_KEY", "n8n-key-value")
    assert set(get_settings().secret_values()) == {"am-token-value", "n8n-key-value"}
