"""The WSGI fast path (api.fastpath): the same answers as the Flask views, byte for byte."""

from __future__ import annotations

import gc
import json
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from werkzeug.test import TestResponse

import api.fastpath
from api import create_app, views
from tests.conftest import contract_app

ROOT = Path(__file__).resolve().parent.parent
EFFECTIVE, PLAN = "/v1/effective-resources", "/v1/plan"
POD = (ROOT / "examples" / "pod.json").read_bytes()
INVALID_POD = json.dumps(
    {
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]},
    }
).encode()


class Traced:
    """An app with the fast path, and what answered each request: the fast path, the view, or both."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, **config: Any) -> None:
        self.config = config
        self.app: Flask = contract_app(**config)
        self.calls: Counter[str] = Counter()
        fast = api.fastpath.answer_stream
        monkeypatch.setattr(api.fastpath, "answer_stream", self._count("fast path", fast))
        for endpoint in ("v1.effective_resources", "v1.plan"):
            self.app.view_functions[endpoint] = self._count("view", self.app.view_functions[endpoint])

    def _count(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return fn(*args, **kwargs)

        return counted


def _without_request_id(response: TestResponse) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.items() if k != "X-Request-ID"]


def _both(traced: Traced, path: str, method: str = "POST", **sent: Any) -> tuple[TestResponse, TestResponse]:
    """One request to ``traced``'s app and to the same app without the fast path."""
    fast = traced.app.test_client().open(path, method=method, **sent)
    flask = contract_app(FAST_PATH=False, **traced.config).test_client().open(path, method=method, **sent)
    return fast, flask


def _same_as_flask(traced: Traced, path: str, body: bytes, content_type: str) -> TestResponse:
    """``body`` posted with the fast path and without it: the same status, headers and bytes."""
    # the length stated as every HTTP client states it (werkzeug's test client leaves out a 0)
    overrides = {"CONTENT_LENGTH": str(len(body))}
    fast, flask = _both(traced, path, data=body, content_type=content_type, environ_overrides=overrides)
    assert (fast.status_code, _without_request_id(fast), fast.data) == (
        flask.status_code,
        _without_request_id(flask),
        flask.data,
    )
    assert fast.headers["X-Request-ID"] != flask.headers["X-Request-ID"]  # each made its own
    return fast


MANIFESTS = [*sorted((ROOT / "tests" / "data").glob("*.yaml")), ROOT / "examples" / "stream.yaml"]


@pytest.mark.parametrize("manifest", MANIFESTS, ids=[m.name for m in MANIFESTS])
def test_every_manifest_answered_by_the_fast_path_alone_as_flask_answers_it(
    monkeypatch: pytest.MonkeyPatch, manifest: Path
) -> None:
    traced = Traced(monkeypatch)
    response = _same_as_flask(traced, EFFECTIVE, manifest.read_bytes(), "application/yaml")
    assert response.status_code == 200
    assert traced.calls == {"fast path": 1}


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status"),
    [
        pytest.param(EFFECTIVE, POD, "application/json", 200, id="the README's pod, JSON"),
        pytest.param(EFFECTIVE, POD, "text/x-yaml", 200, id="JSON read as YAML, another YAML type"),
        pytest.param(PLAN, (ROOT / "examples" / "plan.yaml").read_bytes(), "application/yaml", 200, id="plan"),
    ],
)
def test_plain_requests_answered_by_the_fast_path_alone(
    monkeypatch: pytest.MonkeyPatch, path: str, body: bytes, content_type: str, status: int
) -> None:
    traced = Traced(monkeypatch)
    assert _same_as_flask(traced, path, body, content_type).status_code == status
    assert traced.calls == {"fast path": 1}


@pytest.mark.parametrize(
    ("body", "config", "status", "detail"),
    [
        pytest.param(b"", {}, 400, "the request body is empty", id="empty body"),
        pytest.param(b'{"kind": "Pod",', {}, 400, "line 1", id="broken JSON"),
        pytest.param(INVALID_POD, {}, 422, "must be less than or equal to cpu limit of 1", id="request above limit"),
        pytest.param(POD, {"MAX_WORKLOADS": 0}, 413, "PODCALC_MAX_WORKLOADS", id="a limit reached"),
    ],
)
def test_errors_go_to_the_view_which_renders_them_as_before_without_computing_again(
    monkeypatch: pytest.MonkeyPatch, body: bytes, config: dict[str, Any], status: int, detail: str
) -> None:
    traced = Traced(monkeypatch, **config)
    reads = _count_reads(monkeypatch)
    response = _same_as_flask(traced, EFFECTIVE, body, "application/json")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert detail in json.dumps(response.get_json())
    assert traced.calls == {"fast path": 1, "view": 1}
    assert reads == {"read": 2}  # once by the fast path, once by the app without it: not again by the view


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often a body is read and computed, by either app."""
    reads: Counter[str] = Counter()
    read = views.read_documents

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads["read"] += 1
        return read(*args, **kwargs)

    monkeypatch.setattr(views, "read_documents", counted)
    return reads


def test_an_unexpected_failure_is_the_views_500_logged_and_counted_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    traced = Traced(monkeypatch)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in the calculation")

    monkeypatch.setitem(views.STREAMS, EFFECTIVE, broken)
    traced.app.test_client_class = FlaskClient  # the contract lists no 500: it is a bug's answer
    failed = {"route": EFFECTIVE, "method": "POST", "status": "500"}
    before = _sample("podcalc_http_requests_total", **failed)
    with caplog.at_level(logging.ERROR, logger="api.problems"):
        response = traced.app.test_client().post(EFFECTIVE, data=POD, content_type="application/json")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert traced.calls == {"fast path": 1, "view": 1}
    assert [r.exc_info[1].args for r in caplog.records if r.exc_info] == [("a bug in the calculation",)]
    assert _sample("podcalc_http_requests_total", **failed) - before == 1


@pytest.mark.parametrize(
    ("path", "method", "headers", "content_type", "config", "status"),
    [
        pytest.param(EFFECTIVE + "?explain=true", "POST", {}, "application/json", {}, 200, id="a query string"),
        pytest.param(EFFECTIVE, "POST", {"Origin": "https://dash.example"}, "application/json", {}, 200, id="Origin"),
        pytest.param(EFFECTIVE, "POST", {}, "application/json; charset=utf-8", {}, 200, id="a media type parameter"),
        pytest.param(EFFECTIVE, "POST", {}, "application/vnd.pod+json", {}, 200, id="a +json type"),
        pytest.param(EFFECTIVE, "POST", {}, "text/plain", {}, 415, id="an unsupported type"),
        pytest.param(EFFECTIVE, "POST", {}, "application/json", {"MAX_CONTENT_LENGTH": 64}, 413, id="too long"),
        pytest.param(EFFECTIVE + "/", "POST", {}, "application/json", {}, 404, id="another path"),
        pytest.param(EFFECTIVE, "PUT", {}, "application/json", {}, 405, id="another method"),
        pytest.param("/v1/diff", "POST", {}, "application/json", {}, 422, id="another operation"),
        pytest.param(EFFECTIVE, "post", {}, "application/json", {}, 200, id="a lowercase method"),
        pytest.param(EFFECTIVE, "POST", {"Transfer-Encoding": "chunked"}, "application/json", {}, 400, id="chunked"),
        pytest.param(
            EFFECTIVE,
            "POST",
            {"Host": "evil.example"},
            "application/json",
            {"TRUSTED_HOSTS": ["podcalc.example"]},
            400,
            id="an untrusted host",
        ),
    ],
)
def test_anything_but_the_plainest_request_goes_to_flask(
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    method: str,
    headers: dict[str, str],
    content_type: str,
    config: dict[str, Any],
    status: int,
) -> None:
    traced = Traced(monkeypatch, **config)
    response, flask = _both(traced, path, method, data=POD, content_type=content_type, headers=headers)
    assert response.status_code == status
    assert traced.calls["fast path"] == 0
    assert (response.status_code, response.data) == (flask.status_code, flask.data)


@pytest.mark.parametrize(
    "length",
    ["", "12a", "+10", "\u0661\u0662", "9" * 5000],
    ids=["none", "not a number", "signed", "arabic", "5,000 digits"],
)
def test_a_content_length_that_is_not_plain_digits_goes_to_flask(monkeypatch: pytest.MonkeyPatch, length: str) -> None:
    traced = Traced(monkeypatch)
    overrides = {"CONTENT_LENGTH": length}
    response, flask = _both(traced, EFFECTIVE, data=POD, content_type="application/json", environ_overrides=overrides)
    assert traced.calls["fast path"] == 0
    assert response.status_code < 500
    assert (response.status_code, response.data) == (flask.status_code, flask.data)


def test_server_name_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flask 3.1 no longer refuses other hosts when SERVER_NAME is set: nor does the fast path."""
    traced = Traced(monkeypatch, SERVER_NAME="podcalc.example")
    response = _same_as_flask(traced, EFFECTIVE, POD, "application/json")
    assert response.status_code == 200
    assert traced.calls == {"fast path": 1}


@pytest.mark.parametrize("terminated", [False, True], ids=["werkzeug's 400", "read to its end (gunicorn)"])
def test_a_body_shorter_than_its_content_length_is_left_to_the_view(
    monkeypatch: pytest.MonkeyPatch, terminated: bool
) -> None:
    """werkzeug refuses a short body, unless the server marks its input as read to its end
    (gunicorn does): then the view answers what came. Either way, as without the fast path."""
    traced = Traced(monkeypatch)
    overrides: dict[str, Any] = {"CONTENT_LENGTH": str(len(POD) + 10)}
    if terminated:  # werkzeug heeds the key's presence, whatever its value
        overrides["wsgi.input_terminated"] = True
    response, flask = _both(traced, EFFECTIVE, data=POD, content_type="application/json", environ_overrides=overrides)
    assert response.status_code == (200 if terminated else 400)
    assert (response.status_code, response.data) == (flask.status_code, flask.data)
    assert traced.calls == {"view": 1}  # nothing computed from a part of the body by the fast path


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_fast_answers_and_fallbacks_are_counted_once_in_the_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    traced = Traced(monkeypatch)
    client = traced.app.test_client()
    ok = {"route": EFFECTIVE, "method": "POST", "status": "200"}
    invalid = {**ok, "status": "422"}
    before = (
        _sample("podcalc_http_requests_total", **ok),
        _sample("podcalc_http_requests_total", **invalid),
        _sample("podcalc_http_request_duration_seconds_count", route=EFFECTIVE, method="POST"),
    )
    client.post(EFFECTIVE, data=POD, content_type="application/json")
    client.post(EFFECTIVE, data=INVALID_POD, content_type="application/json")
    after = (
        _sample("podcalc_http_requests_total", **ok),
        _sample("podcalc_http_requests_total", **invalid),
        _sample("podcalc_http_request_duration_seconds_count", route=EFFECTIVE, method="POST"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 2]
    assert traced.calls == {"fast path": 2, "view": 1}  # the 200 was the fast path's


def test_fast_path_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODCALC_FAST_PATH", "false")
    traced = Traced(monkeypatch)
    assert traced.app.test_client().post(EFFECTIVE, data=POD, content_type="application/json").status_code == 200
    assert traced.calls == {"view": 1}
    monkeypatch.setenv("PODCALC_FAST_PATH", "off")
    with pytest.raises(ValueError, match="PODCALC_FAST_PATH must be true or false, not 'off'"):
        create_app()


def test_every_fast_path_is_a_post_route_of_the_app() -> None:
    rules = {rule.rule: rule.methods for rule in create_app().url_map.iter_rules()}
    for path in views.STREAMS:
        assert "POST" in rules[path]


def test_the_hooks_the_fast_path_stands_in_for_are_the_only_ones() -> None:
    """The fast path skips Flask's request hooks: it counts the metrics itself and leaves
    CORS to the view (it declines a request with an Origin). A new hook must be weighed here."""
    app = create_app()
    assert not any(app.before_request_funcs.values())
    assert not any(app.url_value_preprocessors.values())
    assert [f.__name__ for f in app.after_request_funcs[None]] == ["_finish"]
    assert not any(app.after_request_funcs.get(bp, []) for bp in ("v1", "dashboard"))
    assert not any(app.teardown_request_funcs.values())


class _BrokenInput:
    def read(self, *args: Any) -> bytes:
        raise OSError("connection reset while reading the body")


def test_a_body_that_cannot_be_read_is_left_to_werkzeug(monkeypatch: pytest.MonkeyPatch) -> None:
    """werkzeug reports a failed read as the client's disconnection (400): so it does still."""
    traced = Traced(monkeypatch)
    overrides = {"CONTENT_LENGTH": "10", "wsgi.input": _BrokenInput()}
    response, flask = _both(traced, EFFECTIVE, content_type="application/json", environ_overrides=overrides)
    assert (response.status_code, response.mimetype, response.data) == (flask.status_code, flask.mimetype, flask.data)
    assert (response.status_code, response.mimetype) == (400, "application/problem+json")
    assert traced.calls == {"view": 1}


def test_json_nested_past_the_stack_is_refused_alike_at_any_stack_depth(monkeypatch: pytest.MonkeyPatch) -> None:
    """The JSON parser's recursion limit counts the frames below it, which the fast path has
    fewer of: every depth around that limit gets the same 413 both ways."""
    traced = Traced(monkeypatch)
    for depth in range(900, 1100, 4):
        fast, flask = _both(traced, EFFECTIVE, data=b"[" * depth + b"]" * depth, content_type="application/json")
        assert (depth, fast.status_code, fast.data) == (depth, 413, flask.data)


def test_a_failed_request_leaves_nothing_for_the_garbage_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """The exception the view raises for the fast path is freed with the request: no cycle
    through its traceback keeps it, and the documents its frames hold, until a collection."""
    from api.problems import ProblemError

    client = Traced(monkeypatch).app.test_client()
    client.post(EFFECTIVE, data=INVALID_POD, content_type="application/json")  # warm: imports, caches
    gc.collect()
    gc.disable()
    try:
        assert client.post(EFFECTIVE, data=INVALID_POD, content_type="application/json").status_code == 422
        assert not [o for o in gc.get_objects() if isinstance(o, ProblemError)]
    finally:
        gc.enable()
