"""Hide the credentials that chat webhook URLs carry, wherever a URL or an error about it is shown.

A robot URL is itself the secret: DingTalk `?access_token=…`, WeCom `?key=…`, Feishu `/hook/<id>`,
Slack `/services/T…/B…/<token>`. Anyone who reads it can post into the PR team's group. So config
output, errors, logs, `listener status` and stored error text show `https://oapi.dingtalk.com/robot/send?
access_token=***`: enough to tell which robot, not enough to use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit

MASK = "***"
# Query parameters that hold credentials in feed URLs too (RSSHub `key`/`code`, API tokens, signatures).
_SECRET_PARAM = re.compile(r"(?i)^(access_?token|token|key|api_?key|apikey|secret|sign|signature|sig|password|"
                           r"passwd|pwd|auth|authorization|code|ticket|session|sid|hook_?id|webhook)$")
# Path segments after these name the hook itself (Feishu /hook/<id>, Slack /services/T/B/<token>).
_HOOK_SEGMENTS = {"hook", "hooks", "services", "webhooks"}
_TOKENISH = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-.=]{20,}$")
_MIN_FRAGMENT = 4  # shorter values are too common to scrub from free text


def _split_url(url: str) -> tuple[str, str, str, str, str] | None:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return None
    return parts.scheme, parts.netloc, parts.path, parts.query, parts.fragment


def _path(path: str, found: list[str]) -> str:
    out, after_hook = [], False
    for segment in path.split("/"):
        if segment and (after_hook or _TOKENISH.match(unquote(segment))):
            found.append(segment)
            out.append(MASK)
        else:
            out.append(segment)
        after_hook = after_hook or segment.lower() in _HOOK_SEGMENTS
    return "/".join(out)


def _query(query: str, all_params: bool, found: list[str]) -> str:
    out = []
    for pair in query.split("&") if query else []:
        name, sep, value = pair.partition("=")
        if value and (all_params or _SECRET_PARAM.match(unquote_plus(name))):
            found.append(value)
            out.append(f"{name}={MASK}")
        else:
            out.append(f"{name}{sep}{value}")
    return "&".join(out)


def _redact(url: str, all_params: bool) -> tuple[str, list[str]]:
    found: list[str] = []
    parts = _split_url(url)
    if parts is None:  # not even a URL: keep only what precedes any path or query
        head = re.split(r"[/?#]", url.split("://", 1)[-1], maxsplit=1)[0]
        scheme = url.split("://", 1)[0] + "://" if "://" in url else ""
        rest = url[len(scheme) + len(head):]
        if rest:
            found.append(rest)
        return f"{scheme}{head}{'/' + MASK if rest else ''}", found
    scheme, netloc, path, query, fragment = parts
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, colon, password = userinfo.partition(":")
        if password:
            found.append(password)
        netloc = f"{user}{':' + MASK if colon else ''}@{host}"
    text = f"{scheme}://{netloc}" if scheme else netloc
    text += _path(path, found)
    if query:
        text += "?" + _query(query, all_params, found)
    if fragment:
        found.append(fragment)
        text += "#" + MASK
    return text, found


def redact_url(url: str, *, all_params: bool = False) -> str:
    """The URL with credentials masked: userinfo passwords, hook path tokens, and secret query values
    (every query value with `all_params`, for chat robot URLs where the query is the credential)."""
    return _redact(url, all_params)[0]


def redact_channel_url(url: str) -> str:
    return redact_url(url, all_params=True)


def url_secrets(url: str | None, *, all_params: bool = True) -> list[str]:
    """The pieces `redact_url` hides, in the forms they may appear in an error (raw, decoded, encoded)."""
    if not url:
        return []
    pieces: set[str] = set()
    for value in _redact(url, all_params)[1]:
        pieces.update({value, unquote(value), unquote_plus(value), quote(unquote(value), safe=""),
                       quote_plus(unquote_plus(value))})
    return [p for p in pieces if len(p) >= _MIN_FRAGMENT]


def scrub(text: str | None, secrets: Iterable[str]) -> str | None:
    """`text` with every secret piece replaced by ***, longest first (a piece may contain a shorter one)."""
    if not text:
        return text
    for piece in sorted({s for s in secrets if s and len(s) >= _MIN_FRAGMENT}, key=len, reverse=True):
        text = text.replace(piece, MASK)
    return text
