"""Workload kinds read from manifests: where the pod template is, how many pods run, exact totals."""

from __future__ import annotations

from typing import Any

import pytest

from calc.errors import Violation
from calc.quantity import parse_quantity
from calc.workloads import scale, sum_resources
from podcalc.reading.manifests import Skipped, Workload, classify, names, objects

TEMPLATE = {"template": {"spec": {"containers": [{"name": "a"}]}}}

KINDS = [
    ("a Pod runs one pod", {"kind": "Pod", "spec": {}}, ("spec",), 1),
    ("a Deployment defaults to one replica", {"kind": "Deployment", "spec": TEMPLATE}, ("spec", "template", "spec"), 1),
    (
        "a Deployment's replicas",
        {"kind": "Deployment", "spec": {"replicas": 5, **TEMPLATE}},
        ("spec", "template", "spec"),
        5,
    ),
    (
        "zero replicas run no pods",
        {"kind": "StatefulSet", "spec": {"replicas": 0, **TEMPLATE}},
        ("spec", "template", "spec"),
        0,
    ),
    ("a ReplicaSet's replicas", {"kind": "ReplicaSet", "spec": {"replicas": 3}}, ("spec", "template", "spec"), 3),
    (
        "a ReplicationController's replicas",
        {"kind": "ReplicationController", "spec": {"replicas": 2}},
        ("spec", "template", "spec"),
        2,
    ),
    ("a DaemonSet runs one pod per node", {"kind": "DaemonSet", "spec": TEMPLATE}, ("spec", "template", "spec"), None),
    (
        "a Job runs parallelism pods at once",
        {"kind": "Job", "spec": {"parallelism": 4}},
        ("spec", "template", "spec"),
        4,
    ),
    ("a Job defaults to one pod", {"kind": "Job", "spec": {}}, ("spec", "template", "spec"), 1),
    (
        "a Job never runs more pods than completions",
        {"kind": "Job", "spec": {"parallelism": 10, "completions": 3}},
        ("spec", "template", "spec"),
        3,
    ),
    (
        "a CronJob runs its job template's pods",
        {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"parallelism": 2}}}},
        ("spec", "jobTemplate", "spec", "template", "spec"),
        2,
    ),
    ("a PodTemplate is one pod", {"kind": "PodTemplate", "template": {}}, ("template", "spec"), 1),
    ("a bare PodSpec is one pod", {"containers": []}, (), 1),
]


@pytest.mark.parametrize(("name", "obj", "spec_path", "pods"), KINDS, ids=[k[0] for k in KINDS])
def test_workload_kinds(name: str, obj: dict[str, Any], spec_path: tuple[str, ...], pods: int | None) -> None:
    found = classify(obj, ())
    assert isinstance(found, Workload)
    assert (found.spec_path, found.pods) == (spec_path, pods)


def test_objects_without_a_pod_template_are_skipped_with_a_reason() -> None:
    found = classify({"kind": "Service", "metadata": {"name": "web", "namespace": "shop"}}, ("items", 1))
    assert found == Skipped("Service", "web", "shop", ("items", 1), "a Service has no pod template: it runs no pods")
    unknown = classify({"metadata": {"name": "x"}}, ())
    assert isinstance(unknown, Skipped)
    assert unknown.reason == "no kind and no containers: not a manifest podcalc knows"


@pytest.mark.parametrize(
    ("obj", "violation"),
    [
        ("text", Violation((), "expected an object (a Kubernetes manifest or a PodSpec)")),
        ({"kind": 3}, Violation(("kind",), "must be a string")),
        ({"kind": "Pod", "metadata": []}, Violation(("metadata",), "must be an object")),
        ({"kind": "Pod", "metadata": {"name": 1}}, Violation(("metadata", "name"), "must be a string")),
        ({"kind": "Deployment", "spec": {"replicas": "3"}}, Violation(("spec", "replicas"), "must be a whole number")),
        ({"kind": "Deployment", "spec": {"replicas": True}}, Violation(("spec", "replicas"), "must be a whole number")),
        (
            {"kind": "Job", "spec": {"parallelism": -1}},
            Violation(("spec", "parallelism"), "must be greater than or equal to 0"),
        ),
        (
            {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"completions": 1.5}}}},
            Violation(("spec", "jobTemplate", "spec", "completions"), "must be a whole number"),
        ),
    ],
)
def test_unreadable_objects_name_the_field(obj: Any, violation: Violation) -> None:
    assert classify(obj, ()) == [violation]


def test_lists_are_expanded_with_their_paths() -> None:
    document = {
        "kind": "List",
        "items": [
            {"kind": "Pod"},
            {"kind": "DeploymentList", "items": [{"kind": "Deployment"}, {"kind": "Deployment"}]},
        ],
    }
    assert [path for path, _ in objects(document)] == [("items", 0), ("items", 1, "items", 0), ("items", 1, "items", 1)]
    assert list(objects({"kind": "Pod"})) == [((), {"kind": "Pod"})]


def test_totals_are_exact_and_keep_formats() -> None:
    per_pod = {"cpu": parse_quantity("250m"), "memory": parse_quantity("1.5Gi")}
    assert {n: str(q) for n, q in scale(per_pod, 3).items()} == {"cpu": "750m", "memory": "4608Mi"}
    assert {n: str(q) for n, q in scale(per_pod, 0).items()} == {"cpu": "0", "memory": "0"}
    total = sum_resources([scale(per_pod, 3), {"cpu": parse_quantity("1"), "nvidia.com/gpu": parse_quantity("2")}])
    assert {n: str(q) for n, q in total.items()} == {"cpu": "1750m", "memory": "4608Mi", "nvidia.com/gpu": "2"}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"metadata": {"name": "web", "namespace": "shop"}}, ("web", "shop")),
        ({"metadata": {"name": "web"}}, ("web", None)),
        ({"metadata": {"name": 5, "namespace": ["x"]}}, (None, None)),  # classify reports these
        ({"metadata": "web"}, (None, None)),
        ({}, (None, None)),
    ],
)
def test_names_are_read_where_they_are_strings(obj: dict[str, Any], expected: tuple[str | None, str | None]) -> None:
    assert names(obj) == expected
