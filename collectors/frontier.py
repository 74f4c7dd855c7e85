"""The crawl frontier shared by several collector workers through Redis (scrapy-redis), losing no request.

scrapy-redis gives the shared queue (``SCHEDULER_QUEUE_CLASS``), the shared duplicate filter
(``DUPEFILTER_CLASS``) and the connection (``REDIS_URL``). Its queues *pop* a request: a worker killed
with the request in hand loses it. Here a request is **leased** instead:

- :class:`LeasedQueue` (a ``scrapy_redis.queue.PriorityQueue``) moves a popped request, in one Lua script,
  from the queue to the worker's in-flight set ``<queue>:leased:<worker>`` and sets the worker's lease
  expiry in ``<queue>:workers`` (Redis's own clock: the machines' clocks do not matter);
- :class:`FrontierScheduler` (a ``scrapy_redis.scheduler.Scheduler``) renews the lease every
  ``FRONTIER_HEARTBEAT_S`` and acknowledges (removes) a request once its response went through the spider
  and the item pipelines *and* the store committed what they wrote (``StoreWriter.when_stored``); a request
  replaced by another (a redirect, a retry) is acknowledged when the replacement is in the queue;
- any worker that finds a lease expired (its worker dead for ``FRONTIER_LEASE_S``) puts the dead worker's
  requests back into the queue, where the others take them;
- a worker stops when the queue is empty *and* no request is leased by anyone (another worker's page may
  still add requests); a worker that closes early (time budget, item cap, SIGTERM) gives its leases back.
  An idle worker asks the queue again at Scrapy's engine heartbeat (every 5 s) or when one of its own
  downloads ends, so the end of a crawl waits up to that long.

A request is therefore downloaded at least once; downloaded twice only when its worker died between
storing and acknowledging, and the store keeps one document either way (content hash, URL).
Requests are stored as data (:mod:`collectors.requestcodec`), never pickled as scrapy-redis does by default:
writing into the Redis server cannot run code in a worker. It should still be private to the service.

Keys of one crawl start with ``<prefix>:crawl:<id>:``; :mod:`collectors.workers` publishes and retires them.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from typing import Any

from scrapy.http import Request
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

log = logging.getLogger(__name__)

LEASE = "frontier_lease"  # request.meta key: the leased entry, to acknowledge it
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

# KEYS: queue, worker's in-flight set, workers; ARGV: lease seconds, worker id
_POP = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
redis.call('ZREM', KEYS[1], item[1])
redis.call('ZADD', KEYS[2], item[2], item[1])
local now = redis.call('TIME')
redis.call('ZADD', KEYS[3], tonumber(now[1]) + tonumber(ARGV[1]), ARGV[2])
return item[1]
"""
# KEYS: queue, workers; ARGV: prefix of the in-flight sets. Dead workers' requests back into the queue;
# returns how many requests are pending (queued or leased by a live worker).
_RECLAIM_AND_COUNT = """
local now = redis.call('TIME')
local pending = 0
local workers = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #workers, 2 do
  local leased = ARGV[1] .. workers[i]
  if tonumber(workers[i + 1]) < tonumber(now[1]) then
    local items = redis.call('ZRANGE', leased, 0, -1, 'WITHSCORES')
    for j = 1, #items, 2 do redis.call('ZADD', KEYS[1], items[j + 1], items[j]) end
    redis.call('DEL', leased)
    redis.call('ZREM', KEYS[2], workers[i])
  else
    pending = pending + redis.call('ZCARD', leased)
  end
end
return pending + redis.call('ZCARD', KEYS[1])
"""
# KEYS: queue, worker's in-flight set, workers; ARGV: worker id. This worker's requests back into the queue.
_RELEASE = """
local items = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for j = 1, #items, 2 do redis.call('ZADD', KEYS[1], items[j + 1], items[j]) end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return #items / 2
"""
# KEYS: workers; ARGV: lease seconds, worker id
_RENEW = """
local now = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(now[1]) + tonumber(ARGV[1]), ARGV[2])
"""


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue whose ``pop`` leases the request to this worker (module docstring).

    ``FRONTIER_LEASE_S`` (spider setting) is how long the lease holds without a heartbeat.
    """

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.worker = WORKER_ID
        self.lease_s = spider.settings.getfloat("FRONTIER_LEASE_S", 120.0)
        self.leased_prefix = f"{self.key}:leased:"
        self.leased = self.leased_prefix + self.worker
        self.workers = f"{self.key}:workers"
        self._pop = server.register_script(_POP)
        self._pending = server.register_script(_RECLAIM_AND_COUNT)
        self._release = server.register_script(_RELEASE)
        self._renew = server.register_script(_RENEW)

    def pop(self, timeout: int = 0) -> Request | None:
        data = self._pop(keys=[self.key, self.leased, self.workers], args=[self.lease_s, self.worker])
        if not data:
            return None
        request = self._decode_request(data)
        request.meta[LEASE] = data
        return request

    def push(self, request: Request) -> None:
        request.meta.pop(LEASE, None)  # never stored with the request: it names the entry it came from
        super().push(request)

    def ack(self, data: bytes) -> None:
        """The leased request is done: forget it."""
        self.server.zrem(self.leased, data)

    def pending(self) -> int:
        """Requests queued or leased by a live worker (dead workers' requests are put back first)."""
        return int(self._pending(keys=[self.key, self.workers], args=[self.leased_prefix]))

    def renew(self) -> None:
        self._renew(keys=[self.workers], args=[self.lease_s, self.worker])

    def release(self) -> int:
        """Give this worker's leased requests back to the queue (it stops early); how many."""
        return int(self._release(keys=[self.key, self.leased, self.workers], args=[self.worker]))

    def clear(self) -> None:
        super().clear()
        self.server.delete(self.leased, self.workers)


class FrontierScheduler(Scheduler):
    """scrapy-redis's scheduler over a :class:`LeasedQueue`: heartbeat, acknowledgements, and "pending"
    meaning queued or leased anywhere, so a worker waits while another's page may add requests."""

    crawler: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> FrontierScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.heartbeat_s = crawler.settings.getfloat("FRONTIER_HEARTBEAT_S", 10.0)
        return scheduler

    def open(self, spider: Any) -> None:
        from twisted.internet import task

        super().open(spider)
        if not isinstance(self.queue, LeasedQueue):
            raise TypeError(f"FrontierScheduler needs a LeasedQueue, not {type(self.queue).__name__}")
        self._acknowledge_after_scraping()
        self._heartbeat = task.LoopingCall(self._beat)
        self._heartbeat.start(self.heartbeat_s, now=True)

    def close(self, reason: str) -> None:
        heartbeat = getattr(self, "_heartbeat", None)  # absent when opening failed
        if heartbeat is not None and heartbeat.running:
            heartbeat.stop()
        given_back = self.queue.release()
        if given_back:
            log.info("frontier: %d leased requests given back (%s)", given_back, reason)
        super().close(reason)

    def enqueue_request(self, request: Request) -> bool:
        replaced = request.meta.pop(LEASE, None)  # a redirect or retry of a leased request
        added = super().enqueue_request(request)
        if replaced is not None:
            self.queue.ack(replaced)  # the replacement is queued (or was seen): the original is done
        return added

    def has_pending_requests(self) -> bool:
        return self.queue.pending() > 0

    def _beat(self) -> None:
        self.queue.renew()
        writer = self._writer()
        if writer is not None and writer.waiting:
            writer.commit()  # acknowledgements wait for a commit: do not let them wait long

    def _writer(self) -> Any:
        context = getattr(self.spider, "context", None)
        return getattr(getattr(context, "crawl", None), "writer", None)

    def _acknowledge_after_scraping(self) -> None:
        """Acknowledge a leased request once the scraper is done with its response or failure (callback
        or errback, and every item it yielded through the pipelines) and the store committed.

        Scrapy sends no signal at that point; the scraper's ``enqueue_scrape`` Deferred fires there, so it
        is wrapped on this crawler's scraper instance.
        """
        scraper = self.crawler.engine.scraper
        original: Callable[..., Any] = scraper.enqueue_scrape

        def enqueue_scrape(result: Any, request: Request) -> Any:
            deferred = original(result, request)
            data = request.meta.get(LEASE)
            if data is not None:
                deferred.addBoth(self._scraped, data)
            return deferred

        scraper.enqueue_scrape = enqueue_scrape

    def _scraped(self, result: Any, data: bytes) -> Any:
        writer = self._writer()
        if writer is None:
            self.queue.ack(data)
        else:
            writer.when_stored(lambda: self.queue.ack(data))
        return result
