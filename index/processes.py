"""Background processes of one index: one merger, one enricher, one catalog builder at a time.

Each holds an exclusive lock (flock) on its own lock file in the index folder
while it works.  Whoever wants one started (a write, a search that meets a new
generation) starts it only when no process holds that lock, and a process that
finds the lock held when it starts exits at once.  They run in their own
session, so a gunicorn worker's exit does not end them.

    start("index.store.merging", path, "MERGELOCK")
    with running_alone(path, "MERGELOCK", "merger", nice=10) as mine:   # in the process itself
        if mine: ...
"""

from __future__ import annotations

import fcntl
import logging
import os
import resource
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator

OPEN_FILES_WANTED = 65_536  # when the hard limit is unlimited


def allow_open_files() -> None:
    """Raise this process's soft limit of open files to its hard limit (many systems start at 1,024).

    Whoosh keeps a segment's files open while readers use it, and the large arrays beside
    it are mapped (each map holds a descriptor): an index whose merger falls behind may
    hold thousands, and running out fails writes and new snapshots alike.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else OPEN_FILES_WANTED
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):  # a container may refuse: the soft limit stays
            pass


def held(path: Path, lock_name: str) -> bool:
    """Is a process holding this index's lock of that name?"""
    with open(Path(path) / lock_name, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def start(module: str, path: Path, lock_name: str, *args: str, env: dict[str, str] | None = None) -> None:
    """`python -m module <path> [args]` in the background, unless one holds the lock already.

    No code runs between fork and exec (a background process lowers its own priority), so
    the child is spawned without copying a large worker's page tables."""
    if held(path, lock_name):
        return
    subprocess.Popen([sys.executable, "-m", module, str(path), *args], start_new_session=True,
                     env={**os.environ, **env} if env else None, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def running_alone(path: Path, lock_name: str, what: str, nice: int = 0) -> Iterator[bool]:
    """How a background process's main begins: its priority, its log lines, and its lock
    (False: another process of its kind is at work, so this one exits)."""
    if nice:
        os.nice(nice)
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {what} %(message)s")
    with holding(path, lock_name) as mine:
        yield mine


@contextmanager
def holding(path: Path, lock_name: str, wait: bool = False) -> Iterator[bool]:
    """True while this process holds the lock (released on exit), False if another holds it
    (`wait`: until it lets go, then True)."""
    with open(Path(path) / lock_name, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
