"""Bearer (and, for Alertmanager, Basic) token checks, in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac

from fastapi.responses import JSONResponse
from pydantic import SecretStr

__all__ = ["token_matches", "unauthorized"]


def token_matches(header: str | None, token: SecretStr | None, *, allow_basic: bool) -> bool:
    """True when ``Authorization`` carries ``token`` as a bearer token (or a Basic password)."""
    if token is None or not header:
        return False
    expected = token.get_secret_value().encode()
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return hmac.compare_digest(value.encode(), expected)
    if allow_basic and scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return False
        _, sep, password = decoded.partition(b":")
        return bool(sep) and hmac.compare_digest(password, expected)
    return False


def unauthorized(detail: str, *, realm: str) -> JSONResponse:
    """A 401 with a JSON detail and the challenge."""
    return JSONResponse(
        {"detail": detail},
        status_code=401,
        headers={"WWW-Authenticate": f'Bearer realm="{realm}"'},
    )
