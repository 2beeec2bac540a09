"""Who may see the dashboard, and proof that a state change came from our own page.

Auth (only when configured; the default bind is 127.0.0.1):
- `Authorization: Bearer <web.token>`: for scripts. Browsers never attach it on their own, so these
  requests need no CSRF token.
- `Authorization: Basic` with web.user / web.password: browsers replay it on every request to the
  host, including forged cross-site ones, so CSRF applies.
- a session cookie set by /login after the token was typed in: HttpOnly, SameSite=Strict, holding an
  HMAC of the token (never the token itself); CSRF applies.
CSRF: double-submit. A random `listener_csrf` cookie; every POST must echo it in the form field
`csrf_token` or the `X-CSRF-Token` header, and a cross-origin `Origin` header is refused outright.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from fastapi import HTTPException, Request

from listener.config import WebSettings

SESSION_COOKIE = "listener_session"
CSRF_COOKIE = "listener_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class NeedLogin(Exception):
    """An HTML page was asked for without credentials while a token is configured: go to /login."""


def session_value(settings: WebSettings) -> str:
    secret = (settings.token.reveal() if settings.token else "").encode()
    return hmac.new(secret, b"listener-dashboard-session", hashlib.sha256).hexdigest()


def auth_enabled(settings: WebSettings) -> bool:
    return bool(settings.token or (settings.user and settings.password))


def _basic_ok(header: str, settings: WebSettings) -> bool:
    if not (settings.user and settings.password):
        return False
    try:
        user, _, password = base64.b64decode(header, validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return (hmac.compare_digest(user.encode(), settings.user.encode())
            & hmac.compare_digest(password.encode(), settings.password.reveal().encode()))


def authenticate(request: Request, settings: WebSettings) -> str:
    """How this request proved who it is: bearer, basic, cookie or open (no auth configured)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if settings.token and scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(),
                                                                             settings.token.reveal().encode()):
        return "bearer"
    if scheme.lower() == "basic" and _basic_ok(value.strip(), settings):
        return "basic"
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if settings.token and cookie and hmac.compare_digest(cookie.encode(), session_value(settings).encode()):
        return "cookie"
    if not auth_enabled(settings):
        return "open"
    if settings.token and not request.url.path.startswith("/api/") and request.method == "GET":
        raise NeedLogin()
    headers = {"WWW-Authenticate": 'Basic realm="listener", charset="UTF-8"'} if settings.user else {}
    raise HTTPException(status_code=401, detail="需要登录 authentication required", headers=headers)


def csrf_token(request: Request) -> str:
    """The token for this browser; the middleware sets the cookie when the browser has none yet."""
    return request.state.csrf


async def check_csrf(request: Request) -> None:
    """Refuse a state change that does not carry our CSRF token (unless it came with a bearer token)."""
    if request.state.auth == "bearer":
        return
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(status_code=403, detail="CSRF: cross-origin request refused")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value: Any = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    cookie = request.cookies.get(CSRF_COOKIE)
    if not (sent and cookie and hmac.compare_digest(sent.encode(), cookie.encode())):
        raise HTTPException(status_code=403, detail="CSRF: missing or wrong csrf_token; reload the page")


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


SECURITY_HEADERS = {
    # No inline script anywhere: even if escaping failed somewhere, injected <script> would not run.
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                               " object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
