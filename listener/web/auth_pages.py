"""Login with the dashboard token (sets the session cookie) and logout."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from listener.web.security import CSRF_FIELD, SESSION_COOKIE, check_csrf, session_value

router = APIRouter(include_in_schema=False)


def _local(target: str | None) -> str:
    """Only same-site paths: `next=//evil.example` must not turn login into an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _form(request: Request, next_url: str, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    request.state.auth = request.state.auth or "none"
    return request.app.state.templates.TemplateResponse(
        request, "login.html", {"request": request, "csrf": request.state.csrf, "csrf_field": CSRF_FIELD,
                                "next": next_url, "error": error, "page": "login", "auth": None,
                                "config": request.app.state.config}, status_code=status_code)


@router.get("/login", response_class=HTMLResponse, name="login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _form(request, _local(next))


@router.post("/login", name="login_submit", dependencies=[Depends(check_csrf)])
def login(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
    web = request.app.state.web
    if not web.token or not hmac.compare_digest(token.strip().encode(), web.token.reveal().encode()):
        return _form(request, _local(next), "令牌不正确 wrong token", status_code=401)
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, session_value(web), httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout", name="logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
