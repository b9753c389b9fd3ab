"""The servers the benchmarks load: the project's gunicorn configuration on a free loopback
port, its workers, their memory and CPU time, and requests sent to them."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(app: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes], float]]:
    """The project's gunicorn configuration serving ``app`` on a free loopback port, 2 workers
    unless ``env`` says otherwise; yields (url, process, seconds from start to the first 200
    from /healthz), once every worker is up and idle."""
    port = free_port()
    environment = os.environ | {"PODCALC_WORKERS": "2", "PODCALC_LOG_LEVEL": "warning"} | (env or {})
    command = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(
            [*command, "--access-logfile", "/dev/null", app],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                started = _wait_for_health(url, process, start)
            except RuntimeError as err:
                errors.seek(0)
                tail = errors.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"{app}: {err}\n{tail}") from None
            _wait_until_idle(process.pid, int(environment["PODCALC_WORKERS"]))
            yield url, process, started
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_health(url: str, process: subprocess.Popen[bytes], start: float, timeout: float = 20) -> float:
    """Seconds from ``start`` to the first 200 from /healthz."""
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - start
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {process.returncode}") from None
            if time.perf_counter() > start + timeout:
                raise RuntimeError(f"no 200 from /healthz after {timeout:.0f} s") from None
            time.sleep(0.01)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_idle(master: int, workers: int, timeout: float = 20) -> None:
    """Wait until all ``workers`` have started and finished starting (no CPU used for 0.2 s).

    The first 200 from /healthz says one worker is up; another may still be importing the
    app, its own socket already bound (reuse_port), and the connections the kernel hands it
    wait. Load applied then would measure start-up.
    """
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        pids = worker_pids(master)
        if len(pids) == workers and settle(pids, 0.2, deadline - time.perf_counter()):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the {workers} workers were not all up and idle after {timeout:.0f} s")


def settle(pids: Sequence[int], quiet: float = 0.1, timeout: float = 10) -> bool:
    """Wait until the processes ``pids`` have used no CPU for ``quiet`` seconds (at most
    ``timeout``): a worker goes on freeing a large request's objects after its response.
    False when the time ran out or one of them is gone (a worker replaced)."""
    deadline = time.perf_counter() + timeout
    before = -1.0
    while time.perf_counter() < deadline:
        try:
            now = sum(cpu_seconds(pid) for pid in pids)
        except OSError:
            return False
        if now == before:
            return True
        before = now
        time.sleep(quiet)
    return False


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split()]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory (``VmHWM``: its peak) in MB, from /proc."""
    return status_mb(Path(f"/proc/{pid}/status").read_text(), field)


def status_mb(status: str, field: str) -> float:
    m = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    return int(m.group(1)) / 1024 if m else float("nan")


def send(url: str, body: bytes, content_type: str) -> bytes:
    """POST and read the whole response: the server's time and the transfer, not the client's
    JSON decoding (the baseline does not decode anything either)."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        data: bytes = response.read()
        return data


def post(url: str, body: bytes, content_type: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(send(url, body, content_type))
    return decoded
