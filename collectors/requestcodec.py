"""How the shared crawl frontier stores a request in Redis: MessagePack of Scrapy's request dict.

scrapy-redis pickles requests by default, and unpickling runs whatever the stored bytes ask for: anyone able
to write into the frontier's Redis could run code in every collector worker. MessagePack carries only
data (the request dict's strings, numbers, bytes, lists and maps); ``request_from_dict`` then rebuilds the
request and resolves its callback by name on the spider. A request whose ``meta`` holds anything else
cannot be shared, and says so (``TypeError``) when it is queued.

``SCHEDULER_SERIALIZER = "collectors.requestcodec"`` (``collectors.settings.frontier_settings``).

>>> from scrapy.http import Request
>>> request = Request("https://echo.example/p?page=2", method="POST", body=b"q=\\xe9t\\xe9",
...                   headers={"Accept": "text/html"}, meta={"page": 2, "cursors": ("a", "b")})
>>> data = request.to_dict()
>>> back = loads(dumps(data))
>>> back["url"], back["body"], back["headers"][b"Accept"], back["meta"]["cursors"]
('https://echo.example/p?page=2', b'q=\\xe9t\\xe9', [b'text/html'], ['a', 'b'])
"""

from __future__ import annotations

from typing import Any

import msgpack


def dumps(obj: dict[str, Any]) -> bytes:
    """A request dict as MessagePack (bytes stay bytes: bodies, header names and values)."""
    return msgpack.packb(obj, use_bin_type=True)


def loads(data: bytes) -> dict[str, Any]:
    """The request dict back; header names are bytes, hence maps with non-string keys allowed."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False)
