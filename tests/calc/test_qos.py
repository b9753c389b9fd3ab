"""QoS class, case by case as ComputePodQOS (pkg/apis/core/v1/helper/qos) decides it."""

from __future__ import annotations

import pytest

from calc.evaluate import evaluate_pod
from calc.pod import PodResources, PodSpec
from calc.qos import QOSClass, pod_qos
from calc.versions import features
from tests.podbuild import C, quantities, spec

G = {"cpu": "1", "memory": "1Gi"}  # requests == limits: the Guaranteed shape

CASES = [
    ("nothing set anywhere is BestEffort", spec([C("a"), C("b")]), QOSClass.BEST_EFFORT),
    (
        "equal cpu and memory limits and requests everywhere is Guaranteed",
        spec([C("a", G, G), C("b", G, G)]),
        QOSClass.GUARANTEED,
    ),
    ("limits alone are Guaranteed: requests default to them", spec([C("a", {}, G)]), QOSClass.GUARANTEED),
    ("a request below its limit is Burstable", spec([C("a", {"cpu": "500m", "memory": "1Gi"}, G)]), QOSClass.BURSTABLE),
    ("requests without limits are Burstable", spec([C("a", G)]), QOSClass.BURSTABLE),
    ("a cpu limit without a memory limit is Burstable", spec([C("a", {}, {"cpu": "1"})]), QOSClass.BURSTABLE),
    ("one Guaranteed and one BestEffort container is Burstable", spec([C("a", G, G), C("b")]), QOSClass.BURSTABLE),
    ("an init container without limits spoils Guaranteed", spec([C("a", G, G)], init=[C("i")]), QOSClass.BURSTABLE),
    ("a Guaranteed init container keeps Guaranteed", spec([C("a", G, G)], init=[C("i", G, G)]), QOSClass.GUARANTEED),
    (
        "a sidecar without limits spoils Guaranteed",
        spec([C("a", G, G)], init=[C("s", {"cpu": "100m"}, sidecar=True)]),
        QOSClass.BURSTABLE,
    ),
    (
        "a Guaranteed sidecar keeps Guaranteed",
        spec([C("a", G, G)], init=[C("s", G, G, sidecar=True)]),
        QOSClass.GUARANTEED,
    ),
    (
        "only extended resources count as nothing: BestEffort",
        spec([C("a", {}, {"nvidia.com/gpu": "1"})]),
        QOSClass.BEST_EFFORT,
    ),
    (
        "only ephemeral-storage counts as nothing: BestEffort",
        spec([C("a", {"ephemeral-storage": "1Gi"})]),
        QOSClass.BEST_EFFORT,
    ),
    (
        "zero quantities are ignored: BestEffort",
        spec([C("a", {"cpu": "0", "memory": "0"}, {"cpu": "0", "memory": "0"})]),
        QOSClass.BEST_EFFORT,
    ),
    (
        "a zero cpu limit is no cpu limit: Burstable",
        spec([C("a", {"cpu": "0", "memory": "1Gi"}, {"cpu": "0", "memory": "1Gi"})]),
        QOSClass.BURSTABLE,
    ),
    (
        "Guaranteed with other resources beside cpu and memory",
        spec([C("a", G | {"ephemeral-storage": "1Gi"}, G | {"nvidia.com/gpu": "1"})]),
        QOSClass.GUARANTEED,
    ),
    (
        "equal values in different formats are equal",
        spec([C("a", {"cpu": "1000m", "memory": "1024Mi"}, G)]),
        QOSClass.GUARANTEED,
    ),
    (
        "pod-level requests equal to limits make the pod Guaranteed, whatever the containers",
        spec([C("a", {"cpu": "100m"})], pod_requests=G, pod_limits=G),
        QOSClass.GUARANTEED,
    ),
    ("pod-level limits alone: requests default to them, Guaranteed", spec([C("a")], pod_limits=G), QOSClass.GUARANTEED),
    (
        "pod-level requests without limits are Burstable, even over Guaranteed containers",
        spec([C("a", {"cpu": "500m", "memory": "512Mi"}, {"cpu": "500m", "memory": "512Mi"})], pod_requests=G),
        QOSClass.BURSTABLE,
    ),
    (
        "a pod-level cpu limit without a memory limit is Burstable",
        spec([C("a")], pod_requests=G, pod_limits={"cpu": "1"}),
        QOSClass.BURSTABLE,
    ),
]


@pytest.mark.parametrize(("name", "pod", "expected"), CASES, ids=[c[0] for c in CASES])
def test_qos_class(name: str, pod: PodSpec, expected: QOSClass) -> None:
    """As 1.36 classes them; 1.37's pod-level limit defaulting is in tests/calc/test_pod_level_136.py."""
    assert evaluate_pod(pod, features=features((1, 36))).qos_class is expected


def test_empty_pod_level_resources_fall_back_to_the_containers() -> None:
    pod = spec([C("a", G, G)])
    empty = PodSpec(pod.containers, resources=PodResources({}, {}))
    assert pod_qos(empty) is QOSClass.GUARANTEED
    only_storage = PodSpec(pod.containers, resources=PodResources(quantities({"ephemeral-storage": "1Gi"}), {}))
    assert pod_qos(only_storage) is QOSClass.GUARANTEED
