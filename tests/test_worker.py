"""The workers' shared table of open connections (service/worker.py), without a server."""

from __future__ import annotations

import os
import subprocess
import sys

from service.worker import Ledger


def test_the_fewest_connections_elsewhere_skip_this_worker_and_dead_ones():
    ledger = Ledger(slots=8)
    mine = ledger.claim(age=1, pid=os.getpid())
    assert ledger.fewest_elsewhere(mine) is None  # alone: never defer
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = ledger.claim(age=2, pid=other.pid)
        ledger.record(mine, 5)
        ledger.record(theirs, 2)
        assert ledger.fewest_elsewhere(mine) == 2
        assert ledger.fewest_elsewhere(theirs) == 5
    finally:
        other.kill()
        other.wait()
    assert ledger.fewest_elsewhere(mine) is None  # a killed worker's slot is dropped
    ledger.release(mine)
    assert ledger.fewest_elsewhere(ledger.claim(age=3, pid=os.getpid())) is None


def test_the_table_is_shared_with_forked_workers():
    ledger = Ledger(slots=4)
    slot = ledger.claim(age=1, pid=os.getpid())
    child = os.fork()
    if child == 0:  # a worker after gunicorn's fork: what it records, the arbiter's other children see
        ledger.record(slot, 7)
        os._exit(0)
    os.waitpid(child, 0)
    other = ledger.claim(age=2, pid=os.getppid())
    assert ledger.fewest_elsewhere(other) == 7
