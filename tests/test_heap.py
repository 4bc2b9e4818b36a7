"""The heap trimmer: freed memory goes back to the system, but not after every snapshot (index/heap.py)."""

from __future__ import annotations

import time

from index import heap


def test_trims_when_freed_at_most_every_interval_and_later_what_is_owed(monkeypatch):
    trims = []
    monkeypatch.setattr(heap, "release_freed_memory", lambda: trims.append(time.monotonic()))
    trimmer = heap.Trimmer(every=0.2)
    trimmer.due()
    assert trims == []  # nothing freed, nothing to give back
    trimmer.freed()
    assert len(trims) == 1  # the first time at once
    for _ in range(5):
        trimmer.freed()  # snapshots replaced in a burst: one trim covers them
    assert len(trims) == 1
    time.sleep(0.25)
    trimmer.due()  # the watch thread comes by: what the burst freed is given back now
    assert len(trims) == 2
    trimmer.due()
    time.sleep(0.25)
    trimmer.due()
    assert len(trims) == 2  # nothing freed since
