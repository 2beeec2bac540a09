"""Stable item ids, so a re-fetch or a restart never stores a post twice."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the click, never identify the post.
TRACKING_PARAMS = frozenset(
    {"spm", "from", "share_source", "share_medium", "share_plat", "share_session_id", "share_tag",
     "share_from", "vd_source", "timestamp", "unique_k", "bbid", "ts", "scene", "srcid", "isappinstalled",
     "fbclid", "gclid", "yclid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "igshid", "ref", "ref_src"}
)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop fragments and tracking parameters, sort the rest."""
    parts = urlsplit(url.strip())
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith("utm_")
    ]
    query.sort()
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def item_id(feed: str, *, guid: str | None, url: str | None, title: str, text: str) -> str:
    """feed + guid, else canonical URL, else a hash of the content."""
    if guid and guid.strip():
        return _digest("guid", feed, guid.strip())
    if url and url.strip():
        return _digest("url", canonical_url(url))
    return _digest("content", feed, title.strip(), text.strip())
