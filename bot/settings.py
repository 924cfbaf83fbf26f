"""Settings from the environment and ``.env`` (secrets are ``SecretStr``); see ``get_settings``.

Environment names are fixed: other tools and users depend on them. An integration whose
settings are absent is off; one that is half configured is a configuration error.

Every secret (and ``DATABASE_URL``, which may hold a password) can instead come from a file
named by ``<NAME>_FILE``: Docker and Kubernetes secrets, or what a SOPS or Vault agent writes.
"""

from __future__ import annotations

import re
import ssl
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUseDefault
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.errors import ConfigError
from bot.policy import describe

__all__ = ["FILE_SETTINGS", "INTEGRATIONS", "Settings", "get_settings"]

INTEGRATIONS: dict[str, tuple[str, ...]] = {
    "slack": ("slack_bot_token", "slack_signing_secret"),
    "jira": ("jira_url", "jira_user", "jira_api_token", "jira_project"),
    "notion": ("notion_token", "notion_database_id"),
    "prometheus": ("prometheus_url",),
    "langgraph": ("langgraph_url",),
    "n8n": ("n8n_url", "n8n_api_key"),
}
_PLACEHOLDERS = {"changethis", "changeme", "secret", "password", "xxx", "todo"}


class _SecretFiles(PydanticBaseSettingsSource):
    """``<NAME>_FILE`` (from the environment or ``.env``): the setting is the file's contents.

    One trailing newline is dropped. ``<NAME>`` (not blank) and ``<NAME>_FILE`` both set, an
    unreadable file or an empty one is a ``ConfigError`` naming the variable and the path,
    never the contents. Ranks above the environment and ``.env``, so that a blank ``<NAME>``
    (``${NAME:-}`` in a compose file) does not hide the file.
    """

    def __init__(self, settings_cls: type[BaseSettings], *sources: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._seen: dict[str, str] = {}
        for source in reversed(sources):  # the environment wins over .env
            if isinstance(source, EnvSettingsSource):
                self._seen |= {k.lower(): v.strip() for k, v in source.env_vars.items() if v}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every file at once

    def __call__(self) -> dict[str, Any]:
        values: dict[str, str] = {}
        problems: list[str] = []
        for name in FILE_SETTINGS:
            path = self._seen.get(f"{name}_file")
            if not path:
                continue
            var = f"{name.upper()}_FILE"
            if self._seen.get(name):
                problems.append(f"{var}: {name.upper()} is set too; set only one of them")
                continue
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                problems.append(f"{var}: cannot read {path} ({exc.strerror or type(exc).__name__})")
                continue
            except UnicodeDecodeError:
                problems.append(f"{var}: {path} is not UTF-8 text")
                continue
            text = text.removesuffix("\n").removesuffix("\r")
            if not text.strip():
                problems.append(f"{var}: {path} is empty")
                continue
            values[name] = text
        if problems:
            raise ConfigError(problems)
        return values


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
    opsbot_workers: int = Field(default=1, ge=1, le=32)  # ``serve``: processes (PostgreSQL)
    opsbot_config: Path | None = None
    opsbot_env: Literal["development", "production"] = "production"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Apply Alertmanager deliveries in a child process (default: on PostgreSQL).
    intake_process: bool | None = None
    opsbot_ssl_certfile: Path | None = None
    opsbot_ssl_keyfile: Path | None = None
    otel_exporter_otlp_endpoint: str | None = None
    otel_exporter_otlp_traces_endpoint: str | None = None
    otel_exporter_otlp_headers: SecretStr | None = None
    otel_exporter_otlp_traces_headers: SecretStr | None = None
    otel_service_name: str = "opsbot"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual sources, plus ``<NAME>_FILE`` (see ``_SecretFiles``)."""
        files = _SecretFiles(settings_cls, env_settings, dotenv_settings)
        return init_settings, files, env_settings, dotenv_settings, file_secret_settings

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

    @field_validator("otel_exporter_otlp_endpoint", "otel_exporter_otlp_traces_endpoint")
    @classmethod
    def _otlp_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL (opsbot exports traces over OTLP/HTTP)")
        return value

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
        if self.otlp_traces_endpoint() is not None:
            problems += self._otlp_header_problems()
        if (self.opsbot_ssl_certfile is None) != (self.opsbot_ssl_keyfile is None):
            problems.append("OPSBOT_SSL_CERTFILE, OPSBOT_SSL_KEYFILE: set both or neither")
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

    def _otlp_header_problems(self) -> list[str]:
        problems = []
        for key in ("otel_exporter_otlp_headers", "otel_exporter_otlp_traces_headers"):
            value = getattr(self, key)
            bad = _otlp_headers(value.get_secret_value())[1] if value is not None else []
            if bad:  # positions only: the values are secrets
                entries = ", ".join(str(n) for n in bad)
                problems.append(
                    f"{key.upper()}: entry {entries} is not name=value (comma separated)"
                )
        return problems

    def otlp_traces_endpoint(self) -> str | None:
        """Where spans go over OTLP/HTTP: ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` as it is, else
        ``OTEL_EXPORTER_OTLP_ENDPOINT`` + ``/v1/traces``; None when neither is set."""
        if self.otel_exporter_otlp_traces_endpoint:
            return self.otel_exporter_otlp_traces_endpoint
        if self.otel_exporter_otlp_endpoint:
            return self.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        return None

    def otlp_headers(self) -> dict[str, str]:
        """Headers sent with exported spans: ``OTEL_EXPORTER_OTLP_HEADERS``, overridden by
        ``OTEL_EXPORTER_OTLP_TRACES_HEADERS`` (``name=value,...``, values URL-decoded)."""
        headers: dict[str, str] = {}
        for value in (self.otel_exporter_otlp_headers, self.otel_exporter_otlp_traces_headers):
            if value is not None:
                headers |= _otlp_headers(value.get_secret_value())[0]
        return headers

    def secret_values(self) -> list[str]:
        """Every configured secret and URL password (raw and decoded), for the log scrubber;
        the OTLP header values one by one as well."""
        found = list(self._secrets().values())
        for value in (self.otel_exporter_otlp_headers, self.otel_exporter_otlp_traces_headers):
            if value is not None:
                found += _header_parts(value.get_secret_value())
        for _, value in self:
            if isinstance(value, str) and "@" in value:
                try:
                    password = urlsplit(value).password
                except ValueError:
                    continue
                if password:
                    found += [password, unquote(password)]
        return list(dict.fromkeys(v for v in found if len(v) >= 4))

    def tls_files(
        self, certfile: Path | None = None, keyfile: Path | None = None
    ) -> tuple[str, str] | None:
        """The certificate chain and key to serve HTTPS with, or None for plain HTTP.

        ``certfile``/``keyfile`` (the ``serve`` options) replace the settings. Both or neither
        must be given, and they must load as a certificate with its unencrypted private key;
        otherwise a ``ConfigError`` before anything starts.
        """
        cert = certfile or self.opsbot_ssl_certfile
        key = keyfile or self.opsbot_ssl_keyfile
        if cert is None and key is None:
            return None
        if cert is None or key is None:
            name = "certfile" if cert is None else "keyfile"
            needed = f"--ssl-{name}/OPSBOT_SSL_{name.upper()}"
            raise ConfigError([f"{needed}: required for HTTPS (give both or neither)"])
        problems = []
        for name, path in (("OPSBOT_SSL_CERTFILE", cert), ("OPSBOT_SSL_KEYFILE", key)):
            try:
                path.read_bytes()
            except OSError as exc:
                problems.append(f"{name}: cannot read {path} ({exc.strerror or 'unreadable'})")
        if not problems:
            try:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.load_cert_chain(cert, key, password=_no_password)
            except (ssl.SSLError, ValueError) as exc:
                problems.append(
                    f"OPSBOT_SSL_CERTFILE, OPSBOT_SSL_KEYFILE: {cert} and {key} are not a PEM "
                    f"certificate and its unencrypted private key ({_ssl_reason(exc)})"
                )
        if problems:
            raise ConfigError(problems)
        return str(cert), str(key)

    def enabled(self, integration: str) -> bool:
        """Whether every setting of ``integration`` is present."""
        return all(getattr(self, key) is not None for key in INTEGRATIONS[integration])

    def policy_path(self) -> Path | None:
        """``OPSBOT_CONFIG``, else ``./opsbot.yml`` when it exists."""
        if self.opsbot_config is not None:
            return self.opsbot_config
        default = Path("opsbot.yml")
        return default if default.exists() else None


def _is_secret(field: FieldInfo) -> bool:
    return SecretStr in (field.annotation, *get_args(field.annotation))


FILE_SETTINGS: tuple[str, ...] = (
    *(name for name, field in Settings.model_fields.items() if _is_secret(field)),
    "database_url",
)
"""Settings that ``<NAME>_FILE`` can provide: every secret, and the database URL."""


# OTLP exporter headers (the OpenTelemetry spec's format, liberal as its SDKs are).
_OTLP_HEADER = re.compile(
    r"[ \t]*([\x21\x23-\x27\x2a\x2b\x2d\x2e\x30-\x39\x41-\x5a\x5e-\x7a\x7c\x7e]+)[ \t]*"
    r"=[ \t]*([\x20\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*?)[ \t]*"
)
_OTLP_DELIMITER = re.compile(r"[ \t]*,[ \t]*")


def _otlp_headers(text: str) -> tuple[dict[str, str], list[int]]:
    """``name=value,...`` parsed (names lower case, values URL-decoded), and the positions
    (from 1) of the entries that are not ``name=value``."""
    headers, bad = {}, []
    for number, entry in enumerate(_OTLP_DELIMITER.split(text.strip()), start=1):
        match = _OTLP_HEADER.fullmatch(entry)
        if match is None:
            if entry:
                bad.append(number)
            continue
        headers[unquote(match[1]).strip().lower()] = unquote(match[2]).strip()
    return headers, bad


def _header_parts(text: str) -> list[str]:
    """Every entry of a header list, and each value raw and URL-decoded, and without its
    scheme (``Bearer <token>``): what the scrubber must know."""
    parts = []
    for entry in _OTLP_DELIMITER.split(text.strip()):
        value = entry.partition("=")[2].strip()
        decoded = unquote(value).strip()
        parts += [entry, value, decoded, decoded.rpartition(" ")[2]]
    return parts


def _no_password() -> bytes:
    raise ValueError("the private key is encrypted")


def _ssl_reason(exc: Exception) -> str:
    return str(getattr(exc, "reason", None) or exc)


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
