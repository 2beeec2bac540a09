"""Collectors: fetch configured sources and parse them into `RawItem`s.

Nothing here knows about brands or sentiment. The daemon calls `collect_feed` (one
feed, one round) and stores what comes back; errors are recorded on the feed, never
fatal to the round.

Errors (all subclasses of `CollectorError`, messages prefixed with the stage):

    CollectorError
    ├── FetchError   network, HTTP status, size cap
    └── ParseError   the document is not a feed we can read
"""

from collectors.collect import CollectResult, collect_feed
from collectors.errors import CollectorError, FetchError, ParseError
from collectors.parse import parse_document
from collectors.types import FeedSource, FeedState, RawItem

__all__ = [
    "CollectResult",
    "CollectorError",
    "FeedSource",
    "FeedState",
    "FetchError",
    "ParseError",
    "RawItem",
    "collect_feed",
    "parse_document",
]
