"""The gunicorn worker: gunicorn's asyncio worker, each new connection going to the worker holding fewest.

Every worker listens on one shared socket, and a keep-alive connection stays with
the worker that accepted it.  asyncio accepts up to a hundred waiting connections
each time the socket wakes a loop, so eight connections a client opened at once
went 1/7 or 2/6 about as often as 4/4 (bench/RESULTS.md: that split decided a
soak's tail), and one interpreter answered most of the load while the other idled.

Here the workers keep their open connections in a small table they share (mapped
by the arbiter before it forks them).  Woken by a waiting connection, a worker
holding more than another live worker leaves it there for DEFER seconds, for the
other to take, and takes it itself after DEFER_AT_MOST (the other may be stuck);
otherwise it accepts one connection and lets the loop turn.  A single worker never
pauses, and clients that open a connection per request rarely meet a pause (the
workers then hold about as many each).

Connections that stay open keep a skew they were given: after a worker is
restarted its clients reconnect to the others, and a pool of keep-alive
connections (a proxy's, a newsroom tool's) then stays there.  So a worker holding
two or more connections above another's answers one request at a time, at most
every SHED_EVERY seconds, with `Connection: close` (`Rebalance`): the client
reconnects, and the connection goes to the worker holding fewer.
"""

from __future__ import annotations

import asyncio
import mmap
import os
import select
import time
from pathlib import Path

from gunicorn.workers.gasgi import ASGIWorker

SLOTS = 256
DEFER = 0.0005  # seconds a busier worker leaves a waiting connection to a less busy one
DEFER_AT_MOST = 0.005  # then it takes it anyway
SHED_EVERY = 0.1  # seconds between two connections a crowded worker asks its clients to close


class Ledger:
    """Open connections per worker, in anonymous shared memory: (pid, connections) per slot."""

    def __init__(self, slots: int = SLOTS):
        self.slots = slots
        self._table = memoryview(mmap.mmap(-1, slots * 16)).cast("q")

    def claim(self, age: int, pid: int) -> int:
        """A worker's slot, from its age (gunicorn numbers workers as it starts them)."""
        slot = age % self.slots
        self._table[2 * slot], self._table[2 * slot + 1] = pid, 0
        return slot

    def release(self, slot: int) -> None:
        self._table[2 * slot] = self._table[2 * slot + 1] = 0

    def record(self, slot: int, connections: int) -> None:
        self._table[2 * slot + 1] = connections

    def fewest_elsewhere(self, slot: int) -> int | None:
        """The fewest connections any other live worker holds (None: no other worker)."""
        fewest = None
        for other in range(self.slots):
            pid = self._table[2 * other]
            if other == slot or not pid:
                continue
            try:
                os.kill(pid, 0)
            except ProcessLookupError:  # killed without releasing its slot
                self.release(other)
                continue
            except PermissionError:
                pass
            held = self._table[2 * other + 1]
            fewest = held if fewest is None else min(fewest, held)
        return fewest


LEDGER = Ledger()  # made when gunicorn's arbiter imports this module, so every worker shares it
CURRENT: Worker | None = None  # this process's worker, once forked (None outside gunicorn)


class BalancingLoop(asyncio.SelectorEventLoop):
    """An asyncio loop that accepts one connection at a time, and none while another worker holds fewer."""

    def __init__(self, worker: Worker):
        super().__init__()
        self.worker = worker
        self.accepting = 0  # accepted, not yet handed to the protocol (worker.nr_conns counts those)
        self.deferred_since: float | None = None

    def held(self) -> int:
        return self.worker.nr_conns + self.accepting

    def excess(self) -> int | None:
        """Connections this worker holds above the live worker holding fewest (None: no other worker)."""
        fewest = LEDGER.fewest_elsewhere(self.worker.slot)
        return None if fewest is None else self.held() - fewest

    def _accept_connection(self, protocol_factory, sock, sslcontext=None, server=None, backlog=100, *rest):
        if self._defer():
            self._remove_reader(sock.fileno())
            self.call_later(DEFER, self._resume, (protocol_factory, sock, sslcontext, server, backlog, *rest))
            return
        self.deferred_since = None
        super()._accept_connection(protocol_factory, sock, sslcontext, server, 1, *rest)

    def _defer(self) -> bool:
        if (self.excess() or 0) <= 0:
            return False
        now = self.time()
        if self.deferred_since is None:
            self.deferred_since = now
        return now - self.deferred_since < DEFER_AT_MOST

    def _resume(self, accept_args) -> None:
        sock, server = accept_args[1], accept_args[3]
        if sock.fileno() == -1 or (server is not None and not server.is_serving()):
            return
        waiting = select.poll()
        waiting.register(sock, select.POLLIN)
        if not waiting.poll(0):
            self.deferred_since = None  # another worker took it
        self._add_reader(sock.fileno(), self._accept_connection, *accept_args)

    def _accept_connection2(self, *args, **kwargs):
        self.accepting += 1
        self.worker.record()
        return self._handed_over(super()._accept_connection2(*args, **kwargs))

    async def _handed_over(self, accepting) -> None:
        try:
            await accepting
        finally:
            self.accepting -= 1
            self.worker.record()


class Worker(ASGIWorker):
    """gunicorn's `asgi` worker on a BalancingLoop (config/gunicorn.conf.py names it)."""

    slot: int | None = None  # claimed in the worker process, after the fork

    @property
    def nr_conns(self) -> int:
        return self.__dict__.get("_open", 0)

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:  # gunicorn's protocol counts its connections here
        self.__dict__["_open"] = value
        self.record()

    def record(self) -> None:
        if self.slot is not None:
            LEDGER.record(self.slot, self.loop.held() if isinstance(self.loop, BalancingLoop) else self.nr_conns)

    def init_process(self):
        global CURRENT
        self.slot = LEDGER.claim(self.age, os.getpid())
        CURRENT = self
        super().init_process()

    def crowded(self) -> bool:
        """True when this worker holds two connections or more above another live worker."""
        return isinstance(self.loop, BalancingLoop) and (self.loop.excess() or 0) > 1

    def _setup_event_loop(self):
        self.loop = BalancingLoop(self)
        asyncio.set_event_loop(self.loop)

    def _cleanup(self):
        if self.slot is not None:
            LEDGER.release(self.slot)
        super()._cleanup()


class Rebalance:
    """ASGI middleware: a response from a crowded worker (see the module docstring) closes its connection."""

    def __init__(self, app):
        self.app = app
        self.last_shed = 0.0

    async def __call__(self, scope, receive, send):
        worker = CURRENT
        if scope["type"] != "http" or worker is None:
            return await self.app(scope, receive, send)

        async def send_closing(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if all(name.lower() != b"connection" for name, _ in headers) and self._shed(worker):
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        return await self.app(scope, receive, send_closing)

    def _shed(self, worker: Worker) -> bool:
        now = time.monotonic()
        if now - self.last_shed < SHED_EVERY or not worker.crowded():
            return False
        self.last_shed = now
        return True


def connections_held(port: int, pids=None) -> dict[int, int]:
    """{pid: established connections it holds on local `port`}, as the kernel sees them (Linux /proc),
    for `pids` or every process: how the workers share their clients, measured from outside
    (bench/soak.py, the serving tests)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 01: established
                inodes.add(f"socket:[{fields[9]}]")
    held = {}
    for pid in pids if pids is not None else (int(p.name) for p in os.scandir("/proc") if p.name.isdigit()):
        try:
            count = sum(os.readlink(fd.path) in inodes for fd in os.scandir(f"/proc/{pid}/fd"))
        except OSError:  # gone, or not ours to read
            continue
        if count:
            held[pid] = count
    return held
