"""Provenance of every figure and advice with its resulting figures (explain=true, --explain).

Each case is small enough to check by hand; the arithmetic is in the comments.
"""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from calc.evaluate import evaluate_pod
from calc.explain import advise, provenance
from calc.quantity import canonical
from tests.conftest import ROOT
from tests.podbuild import C, spec


def terms(p: Any) -> list[tuple[str, str, str]]:
    return [(t.container, canonical(t.value), t.source) for t in p.terms]


def test_init_step_with_sidecar_running_sets_cpu() -> None:
    """examples/pod.json: fetch (1) runs while logshipper (50m) is up: 1050m."""
    body = json.loads((ROOT / "examples" / "pod.json").read_text())
    assert body["kind"] == "Pod"
    pod = spec(
        [C("myjob", {"cpu": "250m", "memory": "64Mi"}, {"cpu": "500m", "memory": "128Mi"})],
        init=[C("logshipper", {"cpu": "50m", "memory": "32Mi"}, sidecar=True), C("fetch", {"cpu": "1"}, {"cpu": "1"})],
    )
    requests, _ = provenance(evaluate_pod(pod))
    assert requests["cpu"].set_by == "init:fetch"
    assert terms(requests["cpu"]) == [("logshipper", "50m", "request"), ("fetch", "1", "request")]
    assert requests["memory"].set_by == "running"
    assert terms(requests["memory"]) == [("myjob", "64Mi", "request"), ("logshipper", "32Mi", "request")]


def test_request_copied_from_limit_overhead_and_pod_level() -> None:
    pod = spec([C("app", limits={"cpu": "1", "memory": "1Gi"})], overhead={"cpu": "250m", "memory": "120Mi"})
    requests, limits = provenance(evaluate_pod(pod))
    assert terms(requests["cpu"]) == [("app", "1", "limit (request defaulted from it)")]
    assert canonical(requests["cpu"].value) == "1250m"
    assert canonical(requests["cpu"].overhead) == "250m"  # type: ignore[arg-type]
    assert canonical(limits["memory"].overhead) == "120Mi"  # type: ignore[arg-type]
    pod_level = spec([C("app", {"cpu": "100m"})], pod_requests={"cpu": "2"})
    requests, _ = provenance(evaluate_pod(pod_level))
    assert requests["cpu"].set_by == "podResources"
    assert canonical(requests["cpu"].pod_level) == "2"  # type: ignore[arg-type]


def test_guaranteed_advice_keeps_the_requests_and_says_when_it_cannot() -> None:
    burstable = spec([C("app", {"cpu": "250m", "memory": "64Mi"}, {"cpu": "500m", "memory": "64Mi"})])
    (a,) = [a for a in advise(evaluate_pod(burstable)) if a.kind == "guaranteed"]
    assert a.message.endswith("app cpu limit 500m -> 250m")
    assert a.after is not None
    assert a.after.qos_class.value == "Guaranteed"
    assert {n: canonical(q) for n, q in a.after.limits.items()} == {"cpu": "250m", "memory": "64Mi"}
    with_bare_sidecar = spec(
        [C("app", {"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"})], init=[C("proxy", sidecar=True)]
    )
    (a,) = [a for a in advise(evaluate_pod(with_bare_sidecar)) if a.kind == "guaranteed"]
    assert a.after is None
    assert a.message.endswith("these set neither request nor limit: proxy (cpu), proxy (memory)")


def test_init_order_advice_gives_the_peak_if_moved() -> None:
    """sidecar 500m, then init 2: the step needs 2500m; declared first it needs 2 (running: 1500m)."""
    pod = spec(
        [C("app", {"cpu": "1"})],
        init=[C("mesh", {"cpu": "500m"}, sidecar=True), C("migrate", {"cpu": "2"})],
    )
    ev = evaluate_pod(pod)
    assert canonical(ev.requests["cpu"]) == "2500m"
    (a,) = [a for a in advise(ev) if a.kind == "init-order"]
    assert a.message.endswith("declared before them: cpu 2500m -> 2")
    assert a.after is not None
    assert canonical(a.after.requests["cpu"]) == "2"
    (only,) = [a for a in advise(ev) if a.kind == "init-only"]
    assert only.message == (
        "cpu: the pod reserves 2500m for its whole life because init:migrate needs it; "
        "the running containers request 1500m"
    )


def test_explain_in_the_plan_names_limit_range_defaults_and_ratios(client: FlaskClient) -> None:
    body = client.post(
        "/v1/plan?explain=true", data=(ROOT / "examples" / "plan.yaml").read_bytes(), content_type="application/yaml"
    ).get_json()
    web = body["items"][0]["explanation"]["provenance"]
    # web 500m + log's LimitRange default request 250m = 750m
    assert web["requests"]["cpu"]["terms"] == [
        {"container": "web", "value": "500m", "source": "request"},
        {"container": "log", "value": "250m", "source": "LimitRange/defaults defaultRequest"},
    ]
    assert web["limits"]["memory"]["terms"][1] == {
        "container": "log",
        "value": "512Mi",
        "source": "LimitRange/defaults default",
    }
    ratio = """
apiVersion: v1
kind: LimitRange
metadata: {name: ratio}
spec: {limits: [{type: Container, maxLimitRequestRatio: {memory: "2"}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: app, image: x, resources: {requests: {memory: 100Mi}, limits: {memory: 1Gi}}}]}
"""
    item = client.post("/v1/plan?explain=true", data=ratio, content_type="application/yaml").get_json()["items"][0]
    advice = [a["message"] for a in item["explanation"]["advice"] if a["kind"] == "limit-ratio"]
    assert advice == [
        "app memory: limit 1Gi is over 2 x its request 100Mi (LimitRange/ratio); a limit of at most 200Mi fits"
    ]
    assert item["admission"]["rejections"][0]["message"] == (
        "memory max limit to request ratio per Container is 2, but provided ratio is 10.240000"
    )


def test_explain_is_opt_in_and_checked(client: FlaskClient) -> None:
    body = json.loads((ROOT / "examples" / "pod.json").read_text())
    plain = client.post("/v1/effective-resources", json=body).get_json()
    assert "explanation" not in plain["items"][0]
    bad = client.post("/v1/effective-resources?explain=yes", json=body)
    assert bad.status_code == 400
    assert bad.get_json()["errors"] == [{"parameter": "explain", "detail": "must be true or false, not 'yes'"}]


def test_cli_explain() -> None:
    import subprocess
    import sys
    from pathlib import Path

    podcalc = Path(sys.executable).parent / "podcalc"
    out = subprocess.run(
        [str(podcalc), "effective", "--explain", str(ROOT / "examples" / "pod.json")],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert "  requests cpu 1050m, set by init:fetch: logshipper 50m (request) + fetch 1 (request)" in out
    assert "  advice (init-order): init container fetch runs while the sidecars declared before it" in out
