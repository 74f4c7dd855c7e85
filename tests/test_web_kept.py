"""What the console keeps between requests (``signals.web.kept``): one computation per key, shared by the
requests that wait for it; other keys are not held up; a failed computation is not kept."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from signals.web.kept import Kept


def test_requests_for_one_key_share_one_computation():
    kept, calls, started, release = Kept(), [], threading.Event(), threading.Event()

    def compute() -> list[int]:
        calls.append(1)
        started.set()
        release.wait(30)
        return [42]

    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(kept.get, "rows", compute)
        assert started.wait(30)
        others = [pool.submit(kept.get, "rows", compute) for _ in range(7)]
        release.set()
        values = [first.result(30)] + [f.result(30) for f in others]
    assert len(calls) == 1 and all(v is values[0] for v in values)


def test_another_key_is_computed_while_one_is_under_way():
    kept, other_done = Kept(), threading.Event()

    def slow() -> str:
        assert other_done.wait(30), "the other key waited for this one"
        return "slow"

    with ThreadPoolExecutor(2) as pool:
        waiting = pool.submit(kept.get, "indicators", slow)
        assert pool.submit(kept.get, "rows", lambda: "fast").result(30) == "fast"
        other_done.set()
        assert waiting.result(30) == "slow"


def test_a_failed_computation_is_not_kept_and_the_oldest_values_go_first():
    kept = Kept(size=2)

    def missing() -> str:
        raise LookupError("no signal 9")

    with pytest.raises(LookupError):
        kept.get(("signal", 9), missing)
    assert kept.get(("signal", 9), lambda: "found") == "found"
    kept.get("b", lambda: "b")
    kept.get("c", lambda: "c")  # ("signal", 9) is dropped
    assert kept.get(("signal", 9), lambda: "again") == "again"
