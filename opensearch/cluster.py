#!/usr/bin/env python3
"""A local OpenSearch cluster for newsindex's tests and benches: three real nodes on 127.0.0.1.

    python3 opensearch/cluster.py start        # build with Maven if needed, start the nodes, wait for green
    python3 opensearch/cluster.py stop         # stop exactly the nodes started here (pid files)
    python3 opensearch/cluster.py status       # each node: running or not, and the cluster's health
    python3 opensearch/cluster.py urls         # the HTTP URLs, comma-separated (NEWSINDEX_OPENSEARCH_URL)
    python3 opensearch/cluster.py stop-node 2  # stop one node (failure tests); start-node 2 brings it back

Each node is a JVM running opensearch/ClusterNode.java over the Maven artifacts
of OpenSearch 2.19.6 (`mvn package` copies them to opensearch/target/lib); no
distribution, no Docker.  One cluster name, loopback discovery over the nodes'
transport ports, `cluster.initial_cluster_manager_nodes` naming all of them,
data and logs under the run directory.  Only the standard library: it runs
before any virtualenv exists.  Settings (environment):

    NEWSINDEX_CLUSTER_NODES           3         number of nodes
    NEWSINDEX_CLUSTER_HTTP_PORT       9251      HTTP port of node 1 (node N: + N - 1)
    NEWSINDEX_CLUSTER_TRANSPORT_PORT  9351      transport port of node 1
    NEWSINDEX_CLUSTER_HEAP            384m      heap of each node
    NEWSINDEX_CLUSTER_DIR             var/opensearch   pid files, data, logs
    NEWSINDEX_CLUSTER_NAME            newsindex-local
    NEWSINDEX_CLUSTER_WAIT            300       seconds to wait for green
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MAIN_CLASS = "newsindex.opensearch.ClusterNode"
JAR = HERE / "target" / "newsindex-opensearch-node-1.0.jar"
LIB = HERE / "target" / "lib"


def env(name: str, default: str) -> str:
    return os.environ.get(f"NEWSINDEX_CLUSTER_{name}", default)


NODES = int(env("NODES", "3"))
HTTP_PORT = int(env("HTTP_PORT", "9251"))
TRANSPORT_PORT = int(env("TRANSPORT_PORT", "9351"))
HEAP = env("HEAP", "384m")
RUN_DIR = Path(env("DIR", str(ROOT / "var" / "opensearch"))).resolve()
CLUSTER = env("NAME", "newsindex-local")
WAIT = float(env("WAIT", "300"))


def node_name(n: int) -> str:
    return f"node-{n}"


def http_url(n: int) -> str:
    return f"http://127.0.0.1:{HTTP_PORT + n - 1}"


def urls() -> str:
    return ",".join(http_url(n) for n in range(1, NODES + 1))


def pid_file(n: int) -> Path:
    return RUN_DIR / f"{node_name(n)}.pid"


def build() -> None:
    """`mvn package` when the jar is missing or older than the pom or the Java source."""
    sources = [HERE / "pom.xml", *HERE.joinpath("src").rglob("*.java")]
    if JAR.exists() and LIB.is_dir() and JAR.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
        return
    print("building the OpenSearch node with Maven (first time: resolves the artifacts)...", flush=True)
    subprocess.run(["mvn", "-B", "-q", "package", "-DskipTests"], cwd=HERE, check=True)


def command(n: int) -> list[str]:
    home = RUN_DIR / node_name(n)
    seeds = ",".join(f"127.0.0.1:{TRANSPORT_PORT + i}" for i in range(NODES))
    managers = ",".join(node_name(i) for i in range(1, NODES + 1))
    settings = {
        "cluster.name": CLUSTER,
        "node.name": node_name(n),
        "path.home": home,
        "path.data": home / "data",
        "path.logs": home / "logs",
        "network.host": "127.0.0.1",
        "http.port": HTTP_PORT + n - 1,
        "transport.port": TRANSPORT_PORT + n - 1,
        "discovery.seed_hosts": seeds,
        "cluster.initial_cluster_manager_nodes": managers,
        # A shared development disk: never refuse shards because other people filled it.
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        # Indexes are created by newsindex with its mapping, never by a stray write.
        "action.auto_create_index": "false",
        # A node that leaves is noticed within seconds, and its replicas are promoted at once.
        "cluster.fault_detection.follower_check.interval": "1s",
        "cluster.fault_detection.follower_check.retry_count": "3",
        "cluster.fault_detection.leader_check.interval": "1s",
        "cluster.fault_detection.leader_check.retry_count": "3",
    }
    return ["java", f"-Xms{HEAP}", f"-Xmx{HEAP}", "-XX:+UseG1GC", "-Xss1m", "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF-8", "-Dio.netty.noUnsafe=true", "-Dio.netty.allocator.numDirectArenas=0",
            f"-Dlog4j2.configurationFile={HERE / 'log4j2.properties'}", "-Dlog4j2.disable.jmx=true",
            "-cp", f"{JAR}{os.pathsep}{LIB}/*", MAIN_CLASS,
            *(f"{k}={v}" for k, v in settings.items())]


def running_pid(n: int) -> int | None:
    """The pid of node n if its pid file names a live process that is that node (never a recycled pid)."""
    try:
        pid = int(pid_file(n).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    args = [a.decode("utf-8", "replace") for a in cmdline]
    if MAIN_CLASS in args and f"node.name={node_name(n)}" in args and f"cluster.name={CLUSTER}" in args \
            and f"path.home={RUN_DIR / node_name(n)}" in args:
        return pid
    return None


def start_node(n: int) -> None:
    if running_pid(n):
        return
    home = RUN_DIR / node_name(n)
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "node.log", "ab")
    proc = subprocess.Popen(command(n), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            cwd=home, start_new_session=True)
    pid_file(n).write_text(f"{proc.pid}\n")
    deadline = time.time() + 10  # until the child has exec'd java (before, /proc shows our own command line)
    while time.time() < deadline and not running_pid(n) and _alive(proc.pid):
        time.sleep(0.05)


def died(n: int) -> bool:
    """Node n was started here (pid file) but its process is gone."""
    try:
        pid = int(pid_file(n).read_text().strip())
    except (FileNotFoundError, ValueError):
        return False
    return not _alive(pid)


def stop_node(n: int, timeout: float = 60) -> None:
    pid = running_pid(n)
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + timeout
        while time.time() < deadline and running_pid(n) == pid and _alive(pid):
            time.sleep(0.2)
        if running_pid(n) == pid and _alive(pid):
            os.kill(pid, signal.SIGKILL)
    pid_file(n).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """True unless the process is gone or a zombie (a zombie has stopped: it only awaits its parent)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def health(timeout: str = "1s", status: str = "green", nodes: int | None = None) -> dict | None:
    query = f"wait_for_status={status}&timeout={timeout}"
    if nodes:
        query += f"&wait_for_nodes={nodes}"
    for n in range(1, NODES + 1):
        if not running_pid(n):
            continue
        try:
            with urllib.request.urlopen(f"{http_url(n)}/_cluster/health?{query}", timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:  # 408 when the wait timed out: the body still says how it is
            try:
                return json.loads(exc.read())
            except ValueError:
                continue
        except (OSError, ValueError):
            continue
    return None


def wait(status: str = "green", nodes: int | None = None, limit: float = WAIT) -> dict:
    """Wait until the running nodes form a cluster of `nodes` with `status`; raise SystemExit after `limit` s."""
    deadline = time.time() + limit
    state = None
    while time.time() < deadline:
        state = health("5s", status, nodes)
        if state and not state.get("timed_out") and state.get("number_of_nodes") == nodes:
            return state
        for n in range(1, NODES + 1):
            if died(n):
                raise SystemExit(f"{node_name(n)} died while starting; see {RUN_DIR / node_name(n) / 'node.log'}")
        time.sleep(1)
    raise SystemExit(f"the cluster did not reach {status} with {nodes} nodes in {limit:g} s: {state}")


def wait_answers(n: int, limit: float = WAIT) -> None:
    """Wait until node n itself answers HTTP and has joined a cluster with an elected manager."""
    deadline = time.time() + limit
    while time.time() < deadline:
        if died(n):
            raise SystemExit(f"{node_name(n)} died while starting; see {RUN_DIR / node_name(n) / 'node.log'}")
        try:
            with urllib.request.urlopen(f"{http_url(n)}/_cluster/health?local=true", timeout=5) as response:
                if json.loads(response.read()).get("discovered_cluster_manager"):
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"{node_name(n)} did not answer in {limit:g} s")


def start() -> None:
    build()
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    for n in range(1, NODES + 1):
        start_node(n)
    state = wait("green", NODES)
    print(f"OpenSearch cluster {CLUSTER!r}: {state['status']}, {state['number_of_nodes']} nodes at {urls()}")


def stop() -> None:
    for n in range(1, NODES + 1):
        stop_node(n)
    print(f"OpenSearch cluster {CLUSTER!r} stopped")


def status() -> int:
    up = 0
    for n in range(1, NODES + 1):
        pid = running_pid(n)
        up += bool(pid)
        print(f"{node_name(n)}: {'running, pid ' + str(pid) if pid else 'stopped'}  {http_url(n)}")
    state = health("1s", "red") if up else None
    print(f"cluster: {state['status'] if state else 'unreachable'}")
    return 0 if state else 1


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    what, *rest = argv
    if what == "start":
        start()
    elif what == "stop":
        stop()
    elif what == "status":
        return status()
    elif what == "urls":
        print(urls())
    elif what == "build":
        build()
    elif what in ("stop-node", "start-node") and rest:
        n = int(rest[0])
        if what == "stop-node":
            stop_node(n)
        else:
            start_node(n)
            wait_answers(n)
            wait("yellow", sum(1 for i in range(1, NODES + 1) if running_pid(i)))
    elif what == "wait" and rest:
        wait(rest[0], sum(1 for i in range(1, NODES + 1) if running_pid(i)))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
