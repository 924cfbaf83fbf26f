"""``<NAME>_FILE``: secrets from files (Docker and Kubernetes secrets, SOPS or Vault output)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
import trustme

from bot.errors import ConfigError
from bot.settings import FILE_SETTINGS, Settings, get_settings

# Every integration complete, so that any one secret can be moved to a file.
COMPLETE = {
    "SLACK_BOT_TOKEN": "xoxb-1-abc",
    "SLACK_SIGNING_SECRET": "0123456789abcdef",
    "ALERTMANAGER_TOKEN": "am-token",
    "OPSBOT_API_TOKEN": "api-token",
    "JIRA_URL": "https://acme.atlassian.net",
    "JIRA_USER": "ops@acme.dev",
    "JIRA_API_TOKEN": "jira-token",
    "JIRA_PROJECT": "OPS",
    "NOTION_TOKEN": "ntn-token",
    "NOTION_DATABASE_ID": "0123",
    "N8N_URL": "http://n8n",
    "N8N_API_KEY": "n8n-key",
}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in [*os.environ]:
        if name.removesuffix("_FILE").lower() in Settings.model_fields:
            monkeypatch.delenv(name)


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def test_every_secret_can_come_from_a_file() -> None:
    secret_fields = {
        name
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation)
    }
    assert set(FILE_SETTINGS) == secret_fields | {"database_url"}
    assert {
        "slack_bot_token",
        "slack_signing_secret",
        "alertmanager_token",
        "opsbot_api_token",
        "jira_api_token",
        "notion_token",
        "n8n_api_key",
    } <= secret_fields


@pytest.mark.parametrize("name", FILE_SETTINGS)
def test_a_file_provides_the_setting(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key, value in COMPLETE.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv(name.upper(), raising=False)
    value = (
        f"postgresql://opsbot:{secrets.token_urlsafe(8)}@db/ops"
        if name == "database_url"
        else secrets.token_urlsafe(16)
    )
    monkeypatch.setenv(f"{name.upper()}_FILE", str(_write(tmp_path, name, value + "\n")))
    settings = get_settings()
    read = getattr(settings, name)
    if name == "database_url":
        assert read == value.replace("postgresql://", "postgresql+psycopg://")
        assert value.split(":")[2].split("@")[0] in settings.secret_values()
    else:
        assert read.get_secret_value() == value
        assert value in settings.secret_values()
        assert value not in repr(settings)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("tok\n", "tok"),
        ("tok", "tok"),
        ("tok\r\n", "tok"),
        ("tok\n\n", "tok\n"),  # only one trailing newline is dropped
        (" tok \n", " tok "),
    ],
)
def test_one_trailing_newline_is_dropped(
    content: str, expected: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _write(tmp_path, "token", b"")
    (tmp_path / "token").write_bytes(content.encode())
    monkeypatch.setenv("OPSBOT_API_TOKEN_FILE", str(tmp_path / "token"))
    token = get_settings().opsbot_api_token
    assert token is not None and token.get_secret_value() == expected


def test_dotenv_may_name_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _write(tmp_path, "am", "from-a-file\n")
    (tmp_path / ".env").write_text(f"ALERTMANAGER_TOKEN_FILE={path}\n")
    token = get_settings().alertmanager_token
    assert token is not None and token.get_secret_value() == "from-a-file"


def test_a_blank_variable_does_not_count_as_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ALERTMANAGER_TOKEN", "")
    monkeypatch.setenv("ALERTMANAGER_TOKEN_FILE", str(_write(tmp_path, "am", "filed")))
    token = get_settings().alertmanager_token
    assert token is not None and token.get_secret_value() == "filed"


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_both_set_is_an_error(where: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("N8N_API_KEY_FILE", str(_write(tmp_path, "key", "from-file-value")))
    if where == "environment":
        monkeypatch.setenv("N8N_API_KEY", "inline-value")
    else:
        (tmp_path / ".env").write_text("N8N_API_KEY=inline-value\n")
    with pytest.raises(ConfigError) as caught:
        get_settings()
    message = str(caught.value)
    assert "N8N_API_KEY_FILE: N8N_API_KEY is set too; set only one of them" in message
    assert "from-file-value" not in message and "inline-value" not in message


def _problem(monkeypatch: pytest.MonkeyPatch, name: str, path: Path | str) -> str:
    monkeypatch.setenv(name, str(path))
    with pytest.raises(ConfigError) as caught:
        get_settings()
    return str(caught.value)


def test_a_missing_file_names_the_variable_and_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nope" / "token"
    message = _problem(monkeypatch, "JIRA_API_TOKEN_FILE", missing)
    assert f"JIRA_API_TOKEN_FILE: cannot read {missing} (No such file or directory)" in message


def test_a_directory_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    message = _problem(monkeypatch, "SLACK_BOT_TOKEN_FILE", tmp_path)
    assert f"SLACK_BOT_TOKEN_FILE: cannot read {tmp_path} (Is a directory)" in message


def test_an_unreadable_file_never_shows_its_content(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if os.geteuid() == 0:  # root reads any file; /proc/self/mem refuses even root
        path, why = Path("/proc/self/mem"), "Input/output error"
    else:
        path, why = _write(tmp_path, "token", "very-secret-content"), "Permission denied"
        path.chmod(0)
    message = _problem(monkeypatch, "NOTION_TOKEN_FILE", path)
    assert f"NOTION_TOKEN_FILE: cannot read {path} ({why})" in message
    assert "very-secret-content" not in message


def test_binary_content_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = _write(tmp_path, "token", b"\xff\xfevery-secret-content")
    message = _problem(monkeypatch, "SLACK_SIGNING_SECRET_FILE", path)
    assert f"SLACK_SIGNING_SECRET_FILE: {path} is not UTF-8 text" in message
    assert "very-secret" not in message and "xff" not in message


def test_an_empty_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _write(tmp_path, "token", "\n")
    message = _problem(monkeypatch, "OPSBOT_API_TOKEN_FILE", path)
    assert f"OPSBOT_API_TOKEN_FILE: {path} is empty" in message


def test_every_problem_is_reported_at_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALERTMANAGER_TOKEN", "x-value")
    monkeypatch.setenv("ALERTMANAGER_TOKEN_FILE", str(_write(tmp_path, "am", "y-value")))
    message = _problem(monkeypatch, "DATABASE_URL_FILE", tmp_path / "missing")
    assert "ALERTMANAGER_TOKEN_FILE:" in message and "DATABASE_URL_FILE:" in message


def test_a_placeholder_in_a_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    message = _problem(monkeypatch, "OPSBOT_API_TOKEN_FILE", _write(tmp_path, "t", "changeme\n"))
    assert "OPSBOT_API_TOKEN: a placeholder value is refused" in message


def test_a_bad_value_from_a_file_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = _write(tmp_path, "db", "mysql://root:hunter22@db/ops\n")
    message = _problem(monkeypatch, "DATABASE_URL_FILE", path)
    assert "DATABASE_URL: use sqlite:///path.db or postgresql" in message
    assert "hunter22" not in message


def test_url_passwords_are_secret_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://opsbot:p%40ss-word@db/ops")
    monkeypatch.setenv("PROMETHEUS_URL", "https://grafana:prom-pass@prom.acme.dev")
    values = get_settings().secret_values()
    assert {"p%40ss-word", "p@ss-word", "prom-pass"} <= set(values)


# ----- TLS files ------------------------------------------------------------------------


@pytest.fixture
def tls_pair(tmp_path: Path) -> tuple[Path, Path]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    return tmp_path / "cert.pem", tmp_path / "key.pem"


def test_tls_is_off_by_default() -> None:
    assert get_settings().tls_files() is None


def test_tls_from_settings_or_options(
    monkeypatch: pytest.MonkeyPatch, tls_pair: tuple[Path, Path]
) -> None:
    cert, key = tls_pair
    assert get_settings().tls_files(cert, key) == (str(cert), str(key))
    monkeypatch.setenv("OPSBOT_SSL_CERTFILE", str(cert))
    monkeypatch.setenv("OPSBOT_SSL_KEYFILE", str(key))
    assert get_settings().tls_files() == (str(cert), str(key))


def test_tls_settings_come_in_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_SSL_CERTFILE", "/etc/opsbot/cert.pem")
    with pytest.raises(ConfigError, match="OPSBOT_SSL_KEYFILE: set both or neither"):
        get_settings()


def test_tls_options_come_in_pairs(tls_pair: tuple[Path, Path]) -> None:
    with pytest.raises(ConfigError, match="--ssl-keyfile/OPSBOT_SSL_KEYFILE: required for HTTPS"):
        get_settings().tls_files(certfile=tls_pair[0])


def test_tls_files_must_be_readable(tmp_path: Path, tls_pair: tuple[Path, Path]) -> None:
    with pytest.raises(ConfigError) as caught:
        get_settings().tls_files(tls_pair[0], tmp_path / "missing.pem")
    assert f"OPSBOT_SSL_KEYFILE: cannot read {tmp_path / 'missing.pem'}" in str(caught.value)


def test_tls_files_must_be_a_matching_pair(tmp_path: Path, tls_pair: tuple[Path, Path]) -> None:
    other = trustme.CA().issue_cert("127.0.0.1")
    other.private_key_pem.write_to_path(str(tmp_path / "other.pem"))
    for cert, key in ((tls_pair[0], tmp_path / "other.pem"), (tls_pair[1], tls_pair[1])):
        with pytest.raises(ConfigError, match="are not a PEM certificate and its unencrypted"):
            get_settings().tls_files(cert, key)
