"""Print, as JSON, podcalc's answers to a fixed, broad set of inputs (tests/test_native.py).

Run once with the compiled core and once with ``PODCALC_NATIVE=false``: the two outputs must
be identical. The inputs: every example manifest through the HTTP API (with explanations and
units), a dozen pods each broken a different way, /v1/quantity, a plan, a diff and
what-ifs; 3,000 seeded random quantity strings, valid and not, parsed,
added and rounded; and 3,000 seeded random pods (sidecars, hugepages, extended resources,
pod-level resources, overhead, zero and fractional figures) through evaluate_pod.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import calc
from api import create_app
from calc.errors import CalcError, PodInvalidError
from calc.evaluate import PodEvaluation, evaluate_pod
from calc.pod import Container, ContainerType, PodResources, PodSpec
from calc.quantity import Quantity, add, canonical, parse_quantity, round_up_milli

ROOT = Path(__file__).resolve().parent.parent
NUMBERS = ["0", "1", "2", "3", "10", "100", "128", "250", "500", "999", "1000", "1024", "1.5", "0.5", ".5", "0.001"]
NUMBERS += ["007", "1.", "12345678901234", "9223372036854775807", "1e3", "1E-3", "2.5e+2", "-1", "+2", "1e100", "", "x"]
SUFFIXES = ["", "m", "n", "u", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "K", "mi", " "]
NAMES = ["cpu", "memory", "ephemeral-storage", "hugepages-2Mi", "hugepages-1Gi", "example.com/gpu", "bad name!"]
FIGURES = ["0", "1n", "1m", "100m", "250m", "1", "1.5", "2", "64Mi", "128Mi", "1Gi", "2Mi", "4Mi", "1500m", "3", "-1"]
# Pods the API refuses or answers in part, each a different rule: their problems must match too.
BAD_PODS = [
    {"containers": [{"name": "a", "resources": {"requests": {"cpu": "-1"}}}]},
    {"containers": [{"name": "a", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]},
    {"containers": [{"name": "a", "resources": {"limits": {"bad name!": "1"}}}]},
    {"containers": [{"name": "a", "resources": {"requests": {"example.com/gpu": "500m"}}}]},
    {"containers": [{"name": "a", "resources": {"limits": {"hugepages-2Mi": "3Mi"}}}]},
    {"containers": [{"name": "a", "resources": {"requests": {"memory": "1.5 GiB", "cpu": "250 millicores"}}}]},
    {"containers": [{"name": "a", "resources": {"requests": {"cpu": "2 GiB"}}}]},
    {"containers": [{"name": "a", "resources": {"requests": {"cpu": "12x"}}}]},
    {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1"}}}], "resources": {"limits": {"cpu": "500m"}}},
    {"containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}], "resources": {"requests": {"cpu": "1m"}}},
    {"containers": [{"name": "a"}], "overhead": {"cpu": "-1", "memory": "1Gi"}},
    {"containers": [{"name": "a", "resources": {"requests": {"memory": "9Ei"}}}, {"name": "b"}]},
]
QUANTITIES = ["1.5Gi", "1.5 GiB", "250 millicores", "12x", "-1", "1e3", "0.5", "9E", "100m"]


def _quantity(q: Quantity) -> list[object]:
    return [q.nanos, q.format.value, str(q), canonical(q)]


def quantities(rng: random.Random) -> list[object]:
    out: list[object] = []
    parsed: list[Quantity] = []
    for _ in range(3000):
        text = rng.choice(NUMBERS) + rng.choice(SUFFIXES)
        try:
            q = parse_quantity(text)
        except CalcError as err:
            out.append([text, type(err).__name__, str(err)])
            continue
        parsed.append(q)
        out.append([text, *_quantity(q), *_quantity(round_up_milli(q))])
    for a, b in zip(parsed, reversed(parsed), strict=True):
        out.append(_quantity(add(a, b)))
    return out


def _resources(rng: random.Random) -> dict[str, Quantity]:
    names = rng.choices(NAMES, weights=[8, 8, 2, 1, 1, 1, 0.2], k=rng.randint(0, 3))
    return {name: parse_quantity(rng.choice(FIGURES)) for name in names}


def _container(rng: random.Random, kind: ContainerType, index: int) -> Container:
    """Mostly valid: most requests have a limit, often the same figure."""
    requests = _resources(rng)
    limits = {n: q if rng.random() < 0.5 else parse_quantity(rng.choice(FIGURES)) for n, q in requests.items()}
    limits = {n: q for n, q in limits.items() if rng.random() < 0.8} | (_resources(rng) if rng.random() < 0.2 else {})
    return Container(f"c{index}", kind, index, requests, limits)


def _pod(rng: random.Random) -> PodSpec:
    apps = tuple(_container(rng, ContainerType.CONTAINER, i) for i in range(rng.randint(1, 3)))
    kinds = [rng.choice([ContainerType.INIT, ContainerType.SIDECAR]) for _ in range(rng.randint(0, 4))]
    inits = tuple(_container(rng, kind, i) for i, kind in enumerate(kinds))
    resources = PodResources(_resources(rng), _resources(rng)) if rng.random() < 0.25 else None
    overhead = _resources(rng) if rng.random() < 0.2 else {}
    return PodSpec(apps, inits, overhead, resources)


def _figures(resources: Any) -> dict[str, str]:
    return {name: str(q) for name, q in resources.items()}


def _evaluation(ev: PodEvaluation) -> dict[str, object]:
    return {
        "requests": _figures(ev.requests),
        "limits": _figures(ev.limits),
        "unbounded": ev.unbounded_limits,
        "qos": ev.qos_class.value,
        "phases": [
            [p.id, p.kind.value, p.container, p.running, _figures(p.requests), _figures(p.limits), p.unbounded_limits]
            for p in ev.phases
        ],
        "set_by": [ev.requests_set_by, ev.limits_set_by],
        "defaulted": [ev.defaulted.requests_from_limits, ev.defaulted.pod_requests_defaulted],
        "pod_limits_defaulted": ev.defaulted.pod_limits_defaulted,
        "stored": [[_figures(c.requests), _figures(c.limits)] for c in ev.spec.all_containers],
    }


def pods(rng: random.Random) -> list[object]:
    out: list[object] = []
    for _ in range(3000):
        try:
            out.append(_evaluation(evaluate_pod(_pod(rng))))
        except PodInvalidError as err:
            out.append([[list(v.path), v.message, v.value] for v in err.violations])
    return out


def api() -> list[object]:
    client = create_app({"TESTING": True}).test_client()
    out: list[object] = []
    examples = [ROOT / "examples" / "stream.yaml", ROOT / "examples" / "pod.json"]
    for path in [*sorted((ROOT / "tests" / "data").glob("*.yaml")), *examples]:
        kind = "application/json" if path.suffix == ".json" else "application/yaml"
        for query in ("", "?explain=true", "?nodes=3&unit[memory]=GiB&unit[cpu]=millicores"):
            r = client.post("/v1/effective-resources" + query, data=path.read_bytes(), content_type=kind)
            out.append([path.name, query, r.status_code, r.get_data(as_text=True)])
    for pod in BAD_PODS:
        r = client.post("/v1/effective-resources?explain=true", json={"apiVersion": "v1", "kind": "Pod", "spec": pod})
        out.append([pod, r.status_code, r.get_data(as_text=True)])
    for value in QUANTITIES:
        for query in ("", "&resource=cpu", "&resource=memory&unit=GiB"):
            r = client.get(f"/v1/quantity?value={value}{query}")
            out.append([value, query, r.status_code, r.get_data(as_text=True)])
    plan_body = (ROOT / "examples" / "plan.yaml").read_bytes()
    plan = client.post("/v1/plan?explain=true", data=plan_body, content_type="application/yaml")
    out.append(["plan", plan.status_code, plan.get_data(as_text=True)])
    before, after = ((ROOT / "examples" / "diff" / f).read_text() for f in ("before.yaml", "after.yaml"))
    diff = client.post("/v1/diff", json={"before": before, "after": after})
    out.append(["diff", diff.status_code, diff.get_data(as_text=True)])
    web = {"kind": "Deployment", "name": "web", "namespace": "shop"}
    changes = [
        {"target": web, "containers": {"log": {"requests": {"cpu": "50m"}}}},
        {"target": {"kind": "Job", "name": "report", "namespace": "shop"}, "replicas": 3},
        {"target": {"kind": "Deployment", "name": "nope"}, "replicas": 1},
    ]
    for change in changes:
        r = client.post("/v1/what-if", json={"manifests": plan_body.decode(), "changes": [change]})
        out.append(["what-if", r.status_code, r.get_data(as_text=True)])
    return out


def main() -> None:
    rng = random.Random(20261202)
    answers = {"quantities": quantities(rng), "pods": pods(rng), "api": api()}
    json.dump({"native": calc.NATIVE, "answers": answers}, sys.stdout)


if __name__ == "__main__":
    main()
