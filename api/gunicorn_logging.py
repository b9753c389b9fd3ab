"""gunicorn's access log as one JSON object per request, with the request id.

No request body and no query string values beyond what the URL carries are logged.
Every request writes a line, so the line is built cheaply: orjson rather than json.dumps,
and the request id found in the response's header list as it is, without building a dict
of every header.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from gunicorn.glogging import Logger


def _request_id(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> str | None:
    """The X-Request-ID among a response's headers: gunicorn's list of (name, value), or
    the mapping some of its workers pass (``{}`` for a response without headers)."""
    for name, value in headers.items() if isinstance(headers, Mapping) else headers:
        if name.lower() == "x-request-id":
            return value
    return None


def _line(entry: dict[str, Any]) -> str:
    """``entry`` as compact JSON, in ASCII: a header may carry any byte from 0x80 to 0xff
    (gunicorn decodes headers as latin-1), and a log stream that is not UTF-8 would refuse
    it, losing the line. orjson writes UTF-8, so such a line is escaped by json.dumps."""
    line = orjson.dumps(entry).decode()
    return line if line.isascii() else json.dumps(entry, separators=(",", ":"))


class JsonLogger(Logger):
    """Access lines: time, method, path, status, bytes, duration, request id, remote, agent."""

    def access(self, resp: Any, req: Any, environ: MutableMapping[str, Any], request_time: timedelta) -> None:
        if not self.access_log_enabled:  # gunicorn's own rule, worked out once per configuration
            return
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": int(str(resp.status).split(None, 1)[0]) if resp.status else None,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "request_id": _request_id(resp.headers),
            "remote": environ.get("REMOTE_ADDR"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        try:
            self.access_log.info(_line(entry))
        except Exception:
            self.exception("failed to write the access log")
