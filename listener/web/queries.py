"""Read-side queries for the dashboard, shaped for speed over a million mentions.

Lists use keyset pagination (a cursor of published_ts and rowid, never OFFSET) and totals are counted
only up to a cap, so the newest page and the next one cost the same on a large store.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from analyzers import Mention
from listener.store import Store
from listener.store.codec import mention_from_row

PAGE_SIZE = 50
COUNT_CAP = 10_000
COUNT_CAP_SCAN = 100  # 1-2 character searches scan rows (below the trigram index): count only so far
LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class MentionFilter:
    brand: str | None = None
    label: str | None = None
    feed: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None
    cursor: str | None = None  # "published_ts:rowid" of the last row of the previous page (rowid alone for search)


@dataclass(frozen=True)
class MentionPage:
    mentions: list[Mention]
    next_cursor: str | None
    total: int  # capped at COUNT_CAP
    total_capped: bool


def _parse_cursor(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    try:
        published, rowid = cursor.split(":", 1)
        return int(published), int(rowid)
    except ValueError:
        raise ValueError(f"cursor: {cursor!r} is not a page cursor") from None


def _where(f: MentionFilter) -> tuple[str, str, list[Any], str]:
    """FROM clause, WHERE clause, parameters and the driving table's alias (it sets the order and the cursor)."""
    params: list[Any] = []
    where: list[str] = []
    q = (f.q or "").strip()
    if q and len(q) >= 3:  # trigram FTS needs 3 characters; drive from the index, newest fetched first
        source = "mentions_fts s JOIN mentions m ON m.rowid = s.rowid"
        where.append("mentions_fts MATCH ?")
        params.append('"' + q.replace('"', '""') + '"')
        drive = "s"
    elif f.brand:
        source = "mention_brands b JOIN mentions m ON m.mention_id = b.mention_id"
        drive = "b"
    else:
        source, drive = "mentions m", "m"
    if f.brand:
        if drive == "b":
            where.append("b.brand = ?")
        else:
            where.append("EXISTS (SELECT 1 FROM mention_brands x WHERE x.mention_id = m.mention_id AND x.brand = ?)")
        params.append(f.brand)
    if f.label:
        where.append("b.label = ?" if drive == "b" else "m.label = ?")
        params.append(f.label)
    if f.feed:
        where.append("m.feed = ?")
        params.append(f.feed)
    ts_col = "b.published_ts" if drive == "b" else "m.published_ts"
    if f.since:
        where.append(f"{ts_col} >= ?")
        params.append(int(f.since.timestamp()))
    if f.until:
        where.append(f"{ts_col} < ?")
        params.append(int(f.until.timestamp()))
    if q and len(q) < 3:
        where.append("(instr(m.title, ?) > 0 OR instr(m.text, ?) > 0)")
        params.extend([q, q])
    return source, " AND ".join(where) or "1 = 1", params, drive


def mention_page(store: Store, f: MentionFilter, *, page_size: int = PAGE_SIZE, count: bool = True) -> MentionPage:
    source, where, params, drive = _where(f)
    conn = store.conn
    q = (f.q or "").strip()
    scan = bool(q) and len(q) < 3
    cap = COUNT_CAP_SCAN if scan else COUNT_CAP
    # Count without the join to `mentions` when no filter needs its columns: the index alone answers,
    # and 10,000 random row lookups would cost more than the page itself.
    needs_m = bool(f.feed) or scan or drive == "m" or (drive == "s" and any((f.brand, f.label, f.since, f.until)))
    count_source = source if needs_m else source.split(" JOIN ")[0]
    total = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {count_source} WHERE {where} LIMIT ?)",
                         [*params, cap + 1]).fetchone()[0] if count else 0
    cursor = _parse_cursor(f.cursor)
    page_where, page_params = where, list(params)
    if drive == "s":
        order = "s.rowid DESC"
        if cursor:
            page_where += " AND s.rowid < ?"
            page_params.append(cursor[1])
    else:
        ts_col = f"{drive}.published_ts"
        order = f"{ts_col} DESC, {drive}.rowid DESC"
        if cursor:
            # Spelled out rather than a row value so the published_ts index bounds the scan.
            page_where += f" AND {ts_col} <= ? AND ({ts_col} < ? OR {drive}.rowid < ?)"
            page_params.extend([cursor[0], cursor[0], cursor[1]])
    rows = [dict(r) for r in conn.execute(
        f"SELECT m.*, {drive}.rowid AS _cursor_rowid FROM {source} WHERE {page_where} ORDER BY {order} LIMIT ?",
        [*page_params, page_size + 1])]
    more = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = f"{rows[-1]['published_ts']}:{rows[-1]['_cursor_rowid']}" if more and rows else None
    for row in rows:
        row.pop("_cursor_rowid")
    return MentionPage(mentions=_with_brands(conn, rows), next_cursor=next_cursor,
                       total=min(total, cap), total_capped=total > cap)


def _with_brands(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> list[Mention]:
    if not rows:
        return []
    brands: dict[str, list[tuple[str, str]]] = {r["mention_id"]: [] for r in rows}
    marks = ", ".join("?" for _ in brands)
    for r in conn.execute(f"SELECT mention_id, brand, spans FROM mention_brands WHERE mention_id IN ({marks})",
                          list(brands)):
        brands[r[0]].append((r[1], r[2]))
    return [mention_from_row(r, brands[r["mention_id"]]) for r in rows]


def daily_trend(store: Store, brand: str, *, end_day: date, days: int, tz: tzinfo) -> list[dict[str, Any]]:
    """Per local day: volume and label counts of public mentions (the brand's own posts excluded), oldest first."""
    start = datetime.combine(end_day - timedelta(days=days - 1), datetime.min.time(), tzinfo=tz)
    end = datetime.combine(end_day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    # One scan of the covering index; day edges computed per row with the zone's offset at the range start
    # (exact for zones without daylight saving, such as Asia/Shanghai).
    offset = int(start.utcoffset().total_seconds()) if start.utcoffset() else 0
    out = {(end_day - timedelta(days=i)).isoformat(): {"day": (end_day - timedelta(days=i)).isoformat(), "volume": 0,
           **dict.fromkeys(LABELS, 0)} for i in range(days)}
    if offset % 3600 == 0:  # whole-hour zone: read the hourly rollup (migration 3), not every mention
        sql = ("SELECT (hour * 3600 + ?) / 86400 AS d, label, sum(n) FROM brand_hourly WHERE brand = ?"
               " AND hour >= ? / 3600 AND hour < ? / 3600 AND official = 0 GROUP BY d, label")
    else:
        sql = ("SELECT (published_ts + ?) / 86400 AS d, label, count(*) FROM mention_brands"
               " WHERE brand = ? AND published_ts >= ? AND published_ts < ? AND official = 0 GROUP BY d, label")
    for day_number, label, n in store.conn.execute(sql, (offset, brand, int(start.timestamp()),
                                                         int(end.timestamp()))):
        key = date.fromordinal(date(1970, 1, 1).toordinal() + day_number).isoformat()
        if key in out:
            out[key]["volume"] += n
            if label in LABELS:
                out[key][label] += n
    return [out[k] for k in sorted(out)]


def official_mentions(store: Store, brand: str, *, since: datetime, limit: int = 5) -> list[Mention]:
    """The brand's own posts since a moment (its public responses), newest first."""
    rows = [dict(r) for r in store.conn.execute(
        "SELECT m.* FROM mention_brands b JOIN mentions m ON m.mention_id = b.mention_id WHERE b.brand = ?"
        " AND b.published_ts >= ? AND b.official = 1 ORDER BY b.published_ts DESC LIMIT ?",
        (brand, int(since.timestamp()), limit))]
    return _with_brands(store.conn, rows)


def feed_names(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT feed FROM feeds ORDER BY feed")]
