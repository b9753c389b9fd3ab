"""The API server's resource validation: every violation named at its field."""

from __future__ import annotations

import pytest

from calc.errors import PodInvalidError
from calc.evaluate import evaluate_pod
from calc.pod import PodSpec
from calc.quantity import parse_quantity
from calc.validation import requirements_violations
from tests.podbuild import C, spec

R = ("containers", 0, "resources")
CASES = [
    (
        "request above its limit",
        spec([C("a", {"cpu": "2"}, {"cpu": "1"})]),
        [((*R, "requests", "cpu"), "must be less than or equal to cpu limit of 1")],
    ),
    (
        "negative quantity",
        spec([C("a", {"memory": "-1Gi"})]),
        [((*R, "requests", "memory"), "must be greater than or equal to 0")],
    ),
    (
        "extended resource must be a whole number",
        spec([C("a", {}, {"example.com/foo": "1500m"})]),
        [
            ((*R, "limits", "example.com/foo"), "must be an integer"),
            ((*R, "requests", "example.com/foo"), "must be an integer"),
        ],
    ),
    (
        "extended resource request must equal its limit",
        spec([C("a", {"nvidia.com/gpu": "1"}, {"nvidia.com/gpu": "2"})]),
        [((*R, "requests", "nvidia.com/gpu"), "must be equal to nvidia.com/gpu limit of 2")],
    ),
    (
        "extended resource request needs a limit",
        spec([C("a", {"nvidia.com/gpu": "1"})]),
        [((*R, "limits", "nvidia.com/gpu"), "Limit must be set for non overcommitable resources")],
    ),
    (
        "unknown standard resource name",
        spec([C("a", {"gpu": "1"})]),
        [
            (
                (*R, "requests", "gpu"),
                "must be a standard resource for containers (cpu, memory, ephemeral-storage, hugepages-<size>)",
            )
        ],
    ),
    (
        "malformed extended resource name",
        spec([C("a", {}, {"Example.com/foo": "1"})]),
        [
            (
                (*R, "limits", "Example.com/foo"),
                "the prefix before '/' must be a lowercase DNS subdomain, e.g. 'example.com'",
            ),
            ((*R, "limits", "Example.com/foo"), "doesn't follow extended resource name standard"),
            (
                (*R, "requests", "Example.com/foo"),
                "the prefix before '/' must be a lowercase DNS subdomain, e.g. 'example.com'",
            ),
            ((*R, "requests", "Example.com/foo"), "doesn't follow extended resource name standard"),
        ],
    ),
    (
        "hugepages need cpu or memory",
        spec([C("a", {}, {"hugepages-2Mi": "4Mi"})]),
        [(R, "HugePages require cpu or memory")],
    ),
    (
        "hugepages in whole pages",
        spec([C("a", {"memory": "1Gi"}, {"hugepages-2Mi": "3Mi"})]),
        [
            ((*R, "limits", "hugepages-2Mi"), "3Mi is not positive integer multiple of hugepages-2Mi"),
            ((*R, "requests", "hugepages-2Mi"), "3Mi is not positive integer multiple of hugepages-2Mi"),
        ],
    ),
    (
        "init container rules too",
        spec([C("a")], init=[C("i", {"cpu": "3"}, {"cpu": "2"})]),
        [(("initContainers", 0, "resources", "requests", "cpu"), "must be less than or equal to cpu limit of 2")],
    ),
    (
        "overhead is validated",
        spec([C("a")], overhead={"cpu": "-1"}),
        [(("overhead", "cpu"), "must be greater than or equal to 0")],
    ),
    (
        "pod-level resources take cpu, memory and hugepages only",
        spec([C("a")], pod_requests={"ephemeral-storage": "1Gi"}),
        [
            (
                ("resources", "requests", "ephemeral-storage"),
                'Unsupported value: "ephemeral-storage": supported values: "cpu", "hugepages-", "memory"',
            )
        ],
    ),
    (
        "pod-level requests cover the containers' aggregate",
        spec([C("a", {"cpu": "1"}), C("b", {"cpu": "1"})], pod_requests={"cpu": "1500m"}),
        [(("resources", "requests", "cpu"), "must be greater than or equal to aggregate container requests of 2")],
    ),
    (
        "a container limit above the pod-level limit",
        spec([C("a", {}, {"memory": "2Gi"})], pod_limits={"memory": "1Gi"}),
        [
            # the pod request defaults to the containers' 2Gi (defaulted from their limit) ...
            (("resources", "requests", "memory"), "must be less than or equal to memory limit of 1Gi"),
            (("containers", 0, "resources", "limits", "memory"), "must be less than or equal to pod limits of 1Gi"),
        ],
    ),
]


@pytest.mark.parametrize(("name", "pod", "expected"), CASES, ids=[c[0] for c in CASES])
def test_invalid_pods_name_every_field(name: str, pod: PodSpec, expected: list[tuple[tuple[object, ...], str]]) -> None:
    with pytest.raises(PodInvalidError) as info:
        evaluate_pod(pod)
    assert [(v.path, v.message) for v in info.value.violations] == expected


def test_pod_level_hugepage_limits_cover_the_containers() -> None:
    pod = spec(
        [C("a", {"memory": "1Gi", "hugepages-2Mi": "8Mi"}, {"hugepages-2Mi": "8Mi"})],
        pod_requests={"memory": "1Gi"},
        pod_limits={"hugepages-2Mi": "4Mi"},
    )
    with pytest.raises(PodInvalidError) as info:
        evaluate_pod(pod)
    assert (
        ("resources", "limits", "hugepages-2Mi"),
        "must be greater than or equal to aggregate container limits of 8Mi",
    ) in [(v.path, v.message) for v in info.value.violations]


def test_pod_level_requests_only_cover_what_they_set() -> None:
    # containers may use resources the pod level does not set (ephemeral-storage, GPUs, ...)
    evaluate_pod(
        spec(
            [C("a", {"cpu": "500m", "ephemeral-storage": "1Gi", "nvidia.com/gpu": "1"}, {"nvidia.com/gpu": "1"})],
            pod_requests={"cpu": "1"},
        )
    )
    result = evaluate_pod(spec([C("a", {}, {"cpu": "1", "memory": "1Gi"})], pod_limits={"memory": "2Gi"}))
    assert {n: str(q) for n, q in result.requests.items()} == {"cpu": "1", "memory": "1Gi"}


def test_valid_edge_cases_pass() -> None:
    evaluate_pod(spec([C("a", {"memory": "1Gi", "hugepages-1Gi": "2Gi"}, {"hugepages-1Gi": "2Gi"})]))
    evaluate_pod(spec([C("a", {"cpu": "1", "kubernetes.io/foo": "1500m"})]))  # native: may be fractional
    evaluate_pod(spec([C("a", {"cpu": "0"}, {"cpu": "0"})]))


def test_requirements_take_any_name_check() -> None:
    """The cached name checks cover the container and pod-level ones; any other still works."""
    assert requirements_violations({"cpu": parse_quantity("1")}, {}, ("x",), lambda name: ()) == []
    found = requirements_violations({"cpu": parse_quantity("1")}, {}, ("x",), lambda name: ("no",))
    assert [(v.path, v.message) for v in found] == [(("x", "requests", "cpu"), "no")]
