"""gunicorn settings for podcalc; each can be overridden by the environment."""

import multiprocessing
import os
import shutil
import tempfile
from typing import Any

bind = os.environ.get("PODCALC_BIND", "127.0.0.1:8080")
# The work is CPU-bound and short: one process per core, two threads to overlap I/O. More
# threads only wait on the GIL (a longer p99); with one, a large body holds up the rest.
workers = int(os.environ.get("PODCALC_WORKERS", min(multiprocessing.cpu_count(), 4)))
worker_class = "gthread"
threads = int(os.environ.get("PODCALC_THREADS", 2))
timeout = int(os.environ.get("PODCALC_TIMEOUT", 30))  # a worker silent this long is killed and replaced
graceful_timeout = int(os.environ.get("PODCALC_GRACEFUL_TIMEOUT", 20))  # SIGTERM: finish in-flight requests
keepalive = 5
# Each worker gets its own listening socket and the kernel spreads new connections over them;
# with one shared socket, whichever worker wins accept() takes a burst of keep-alive
# connections, and the load falls unevenly on the workers.
reuse_port = True
# Recycle workers now and then, jittered so they do not all restart at once (0: never).
# A new worker imports the app again and its clients reconnect, so recycling is rare: memory
# does not grow across requests, and a low count would restart busy workers every few seconds.
max_requests = int(os.environ.get("PODCALC_MAX_REQUESTS", 100_000))
max_requests_jitter = 10_000
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn 25.1+ opens a control socket (gunicornc: worker counts, reload, shutdown) by
# default at $XDG_RUNTIME_DIR/gunicorn.ctl or $HOME/.gunicorn/gunicorn.ctl: a write to a
# home the image's user does not have, on a root filesystem meant to be read-only, and one
# path for every server a user runs (each start unlinks the last one's socket, each stop
# removes whichever is there). Off unless PODCALC_CONTROL_SOCKET names a path for it.
if os.environ.get("PODCALC_CONTROL_SOCKET"):
    control_socket = os.environ["PODCALC_CONTROL_SOCKET"]
else:
    control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("PODCALC_LOG_LEVEL", "info")
logger_class = "api.gunicorn_logging.JsonLogger"
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "api.observability.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": loglevel.upper(), "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {
            "level": "INFO",
            "handlers": ["access"],
            "propagate": False,
        },
    },
}
logconfig_dict["handlers"]["access"] = {  # access lines are JSON already: print them as they are
    "class": "logging.StreamHandler",
    "stream": "ext://sys.stdout",
}

# Prometheus multiprocess mode: every worker writes its metrics to files in this directory,
# /metrics adds them up. Set before any worker imports prometheus_client.
_own_metrics_dir: str | None = None  # the directory made here (None: one was given), removed on exit
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="podcalc-metrics-")
    _own_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
else:
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges must not count any more."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)


def post_fork(server: Any, worker: Any) -> None:
    """Tune the garbage collector in each worker.

    A bulk request allocates millions of short-lived, acyclic objects that reference
    counting frees; the default thresholds run the cyclic collector over them again and
    again within one request, for nothing. Freeze what start-up built and collect the young
    generation less often.
    """
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
