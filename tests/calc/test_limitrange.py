"""LimitRange: the object's defaulting and validation, and LimitRanger's defaults and rules.

Expected messages are the plugin's own format strings; the figures come from the
LimitRange task pages of kubernetes.io (cpu/memory constraints and defaults per namespace).
"""

from __future__ import annotations

import pytest

from calc import limitrange
from calc.evaluate import LimitRangeConflictError, evaluate_pod
from calc.limitrange import LimitRange, LimitRangeItem
from calc.quantity import canonical
from tests.podbuild import C, quantities, spec


def item(type_: str = "Container", **lists: dict[str, str]) -> LimitRangeItem:
    return limitrange.set_defaults(LimitRangeItem(type_, **{k: quantities(v) for k, v in lists.items()}))


def ranges(*items: LimitRangeItem, name: str = "lr") -> list[LimitRange]:
    return [LimitRange(name, "ns", tuple(items))]


def strings(resources: object) -> dict[str, str]:
    assert isinstance(resources, dict)
    return {n: canonical(q) for n, q in resources.items()}


CPU_MIN_MAX = item(min={"cpu": "200m"}, max={"cpu": "800m"})  # cpu-constraint-namespace
MEM_DEFAULTS = item(default={"memory": "512Mi"}, default_request={"memory": "256Mi"})  # memory-default-namespace


def test_max_becomes_the_default_limit_and_the_default_request() -> None:
    """A container with no cpu gets 800m request and limit from a max-only LimitRange."""
    assert strings(CPU_MIN_MAX.default) == {"cpu": "800m"}
    assert strings(CPU_MIN_MAX.default_request) == {"cpu": "800m"}


def test_min_becomes_the_default_request_when_nothing_else_does() -> None:
    i = item(min={"memory": "500Mi"})
    assert strings(i.default_request) == {"memory": "500Mi"}
    assert i.default == {}


@pytest.mark.parametrize(
    ("container", "requests", "limits", "filled"),
    [
        pytest.param(C("app"), {"memory": "256Mi"}, {"memory": "512Mi"}, 2, id="neither set: both defaults"),
        pytest.param(
            C("app", limits={"memory": "1Gi"}),
            {"memory": "1Gi"},
            {"memory": "1Gi"},
            0,
            id="limit only: request = limit",
        ),
        pytest.param(
            C("app", requests={"memory": "128Mi"}), {"memory": "128Mi"}, {"memory": "512Mi"}, 1, id="request only"
        ),
    ],
)
def test_memory_defaults(container: C, requests: dict[str, str], limits: dict[str, str], filled: int) -> None:
    """memory-default-namespace: defaults only fill what the container does not set."""
    ev = evaluate_pod(spec([container]), limit_ranges=ranges(MEM_DEFAULTS))
    c = ev.spec.containers[0]
    assert (strings(c.requests), strings(c.limits)) == (requests, limits)
    assert len(ev.limit_range_filled) == filled


def test_defaults_reach_init_containers_and_sidecars_and_the_annotation_says_so() -> None:
    pod = spec([C("app", {"memory": "1Gi"}, {"memory": "1Gi"})], init=[C("init"), C("side", sidecar=True)])
    ev = evaluate_pod(pod, limit_ranges=ranges(MEM_DEFAULTS))
    assert strings(ev.requests) == {"memory": "1280Mi"}  # app 1Gi + the sidecar's default 256Mi
    assert limitrange.annotation(ev.limit_range_filled) == (
        "LimitRanger plugin set: memory request for init container init; memory limit for init container init; "
        "memory request for init container side; memory limit for init container side"
    )


def test_a_default_limit_below_the_request_makes_the_pod_invalid() -> None:
    """limit-range concept page: request 700m with a default limit of 500m is refused."""
    lr = ranges(item(default={"cpu": "500m"}, default_request={"cpu": "500m"}))
    with pytest.raises(LimitRangeConflictError) as caught:
        evaluate_pod(spec([C("demo", {"cpu": "700m"})]), limit_ranges=lr)
    (v,) = caught.value.violations
    assert v.path == ("containers", 0, "resources", "requests", "cpu")
    assert v.message == "must be less than or equal to cpu limit of 500m"


@pytest.mark.parametrize(
    ("container", "messages"),
    [
        pytest.param(C("c", {"cpu": "500m"}, {"cpu": "800m"}), [], id="within min and max"),
        pytest.param(
            C("c", {"cpu": "500m"}, {"cpu": "1.5"}),
            ["maximum cpu usage per Container is 800m, but limit is 1500m"],
            id="limit over max",
        ),
        pytest.param(
            C("c", {"cpu": "100m"}, {"cpu": "800m"}),
            ["minimum cpu usage per Container is 200m, but request is 100m"],
            id="request under min",
        ),
        pytest.param(C("c"), [], id="no cpu: defaults of 800m pass"),
    ],
)
def test_cpu_min_and_max(container: C, messages: list[str]) -> None:
    """cpu-constraint-namespace's pods."""
    ev = evaluate_pod(spec([container]), limit_ranges=ranges(CPU_MIN_MAX))
    assert [v.message for v in ev.limit_violations] == messages


def test_missing_request_or_limit_messages_have_kubernetes_double_space() -> None:
    lr = [LimitRange("lr", "ns", (LimitRangeItem("Container", max=quantities({"cpu": "1"})),))]  # not defaulted
    ev = evaluate_pod(spec([C("c", {"cpu": "100m"})]), limit_ranges=lr)
    assert [v.message for v in ev.limit_violations] == ["maximum cpu usage per Container is 1.  No limit is specified"]


@pytest.mark.parametrize(
    ("requests", "limits", "message"),
    [
        pytest.param({"memory": "100Mi"}, {"memory": "200Mi"}, None, id="ratio 2 allowed"),
        pytest.param(
            {"memory": "100Mi"},
            {"memory": "250Mi"},
            "memory max limit to request ratio per Container is 2, but provided ratio is 2.500000",
            id="ratio 2.5 refused",
        ),
        pytest.param(
            {"memory": "300Mi"},
            {"memory": "1Gi"},
            "memory max limit to request ratio per Container is 2, but provided ratio is 3.413333",
            id="six decimals",
        ),
    ],
)
def test_max_limit_request_ratio(requests: dict[str, str], limits: dict[str, str], message: str | None) -> None:
    lr = ranges(item(max_limit_request_ratio={"memory": "2"}))
    ev = evaluate_pod(spec([C("c", requests, limits)]), limit_ranges=lr)
    assert [v.message for v in ev.limit_violations] == ([message] if message else [])


def test_type_pod_checks_the_aggregate_with_sidecars_and_the_init_peak() -> None:
    """max(init peak, app + sidecars) without overhead: 2 cpu here, over a Pod max of 1500m."""
    pod = spec(
        [C("app", {"cpu": "1"}, {"cpu": "1"})],
        init=[C("side", {"cpu": "500m"}, {"cpu": "500m"}, sidecar=True), C("init", {"cpu": "1500m"}, {"cpu": "1500m"})],
        overhead={"cpu": "250m"},
    )
    lr = ranges(item("Pod", max={"cpu": "1500m"}))
    ev = evaluate_pod(pod, limit_ranges=lr)
    assert [v.message for v in ev.limit_violations] == ["maximum cpu usage per Pod is 1500m, but limit is 2"]
    assert strings(ev.requests) == {"cpu": "2250m"}  # the scheduler's figure does include the overhead


def test_forbidden_message_deduplicates_and_brackets() -> None:
    lr = ranges(CPU_MIN_MAX)
    pod = spec([C("a", {"cpu": "100m"}, {"cpu": "1"}), C("b", {"cpu": "100m"}, {"cpu": "800m"})])
    ev = evaluate_pod(pod, limit_ranges=lr)
    assert limitrange.forbidden_message(ev.limit_violations) == (
        "[minimum cpu usage per Container is 200m, but request is 100m, "
        "maximum cpu usage per Container is 800m, but limit is 1]"
    )


@pytest.mark.parametrize(
    ("lists", "type_", "expected"),
    [
        pytest.param(
            {"min": {"cpu": "1"}, "max": {"cpu": "500m"}},
            "Container",
            ("min", "min value 1 is greater than max value 500m"),
            id="min over max",
        ),
        pytest.param(
            {"default": {"memory": "1Gi"}, "default_request": {"memory": "2Gi"}},
            "Container",
            ("defaultRequest", "default request value 2Gi is greater than default limit value 1Gi"),
            id="default request over default",
        ),
        pytest.param(
            {"max_limit_request_ratio": {"cpu": "500m"}},
            "Container",
            ("maxLimitRequestRatio", "ratio 500m is less than 1"),
            id="ratio under 1",
        ),
        pytest.param(
            {"default": {"cpu": "1"}}, "Pod", ("default", "may not be specified when `type` is 'Pod'"), id="pod default"
        ),
        pytest.param({}, "Namespace", ("type", 'Unsupported value: "Namespace"'), id="unknown type"),
    ],
)
def test_validation(lists: dict[str, dict[str, str]], type_: str, expected: tuple[str, str]) -> None:
    violations = limitrange.validate(LimitRange("lr", None, (item(type_, **lists),)))
    field, start = expected
    assert any(field in v.path and v.message.startswith(start) for v in violations), violations


def test_type_pod_takes_pod_level_cpu_and_memory() -> None:
    pod = spec([C("app", {"cpu": "100m"})], pod_requests={"cpu": "2"}, pod_limits={"cpu": "2"})
    ev = evaluate_pod(pod, limit_ranges=ranges(item("Pod", max={"cpu": "1"})))
    assert [v.message for v in ev.limit_violations] == ["maximum cpu usage per Pod is 1, but limit is 2"]
