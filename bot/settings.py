"""Settings from the environment and ``.env`` (secrets are ``SecretStr``); see ``get_settings``.

Environment names are fixed: other tools and users depend on them. An integration whose
settings are absent is off; one that is half configured is a configuration error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from bot.policy import describe

__all__ = ["INTEGRATIONS", "Settings", "get_settings"]

INTEGRATIONS: dict[str, tuple[str, ...]] = {
    "slack": ("slack_bot_token", "slack_signing_secret"),
    "jira": ("jira_url", "jira_user", "jira_api_token", "jira_project"),
    "notion": ("notion_token", "notion_database_id"),
    "prometheus": ("prometheus_url",),
    "langgraph": ("langgraph_url",),
    "n8n": ("n8n_url", "n8n_api_key"),
}
_PLACEHOLDERS = {"changethis", "changeme", "secret", "password", "xxx", "todo"}


class Settings(BaseSettings):
    """Everything opsbot reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    database_url: str = "sqlite:///./opsbot.db"
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    alertmanager_token: SecretStr | None = None
    opsbot_api_token: SecretStr | None = None
    jira_url: str | None = None
    jira_user: str | None = None
    jira_api_token: SecretStr | None = None
    jira_project: str | None = None
    notion_token: SecretStr | None = None
    notion_api_url: str = "https://api.notion.com"
    notion_database_id: str | None = None
    prometheus_url: str | None = None
    langgraph_url: str | None = None
    n8n_url: str | None = None
    n8n_api_key: SecretStr | None = None
    opsbot_host: str = "127.0.0.1"
    opsbot_port: int = Field(default=8080, ge=1, le=65535)
    opsbot_config: Path | None = None
    opsbot_env: Literal["development", "production"] = "production"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise PydanticUseDefault
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("use sqlite:///path.db or postgresql+psycopg://user@host/db")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @model_validator(mode="after")
    def _complete_integrations(self) -> Settings:
        problems = []
        for name, keys in INTEGRATIONS.items():
            present = [key for key in keys if getattr(self, key) is not None]
            if present and len(present) != len(keys):
                missing = [key.upper() for key in keys if key not in present]
                problems.append(
                    f"{', '.join(missing)}: required for the {name} integration "
                    f"because {present[0].upper()} is set"
                )
        if self.opsbot_env != "development":
            for key, value in self._secrets().items():
                if value.strip().lower() in _PLACEHOLDERS:
                    problems.append(
                        f"{key.upper()}: a placeholder value is refused outside "
                        "development (OPSBOT_ENV=development allows it)"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _secrets(self) -> dict[str, str]:
        found = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                found[name] = value.get_secret_value()
        return found

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log scrubber."""
        return [v for v in self._secrets().values() if len(v) >= 4]

    def enabled(self, integration: str) -> bool:
        """Whether every setting of ``integration`` is present."""
        return all(getattr(self, key) is not None for key in INTEGRATIONS[integration])

    def policy_path(self) -> Path | None:
        """``OPSBOT_CONFIG``, else ``./opsbot.yml`` when it exists."""
        if self.opsbot_config is not None:
            return self.opsbot_config
        default = Path("opsbot.yml")
        return default if default.exists() else None


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment (and ``overrides``), or raise ``ConfigError``."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError([_env_name(line) for line in describe(exc)]) from exc


def _env_name(line: str) -> str:
    key, _, rest = line.partition(": ")
    if key == "(top level)":
        return rest.removeprefix("Value error, ")
    return f"{key.upper()}: {rest.removeprefix('Value error, ')}"
