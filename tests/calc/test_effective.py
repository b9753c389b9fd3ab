"""Effective requests and limits, table-driven like component-helpers' helpers_test.go.

Each case is named after the rule it shows; expected values are Kubernetes strings,
worked out by hand from PodRequests/PodLimits (KEP-753, KEP-2837).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calc.effective import PodResourcesOptions, pod_limits, pod_requests
from calc.evaluate import evaluate_pod
from calc.pod import PodSpec
from calc.qos import QOSClass
from calc.quantity import parse_quantity
from tests.podbuild import C, spec, strings


@dataclass
class Case:
    name: str
    pod: PodSpec
    requests: dict[str, str]
    limits: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        "app containers are summed",
        spec([C("a", {"cpu": "1", "memory": "1Gi"}), C("b", {"cpu": "500m", "memory": "512Mi"})]),
        {"cpu": "1500m", "memory": "1536Mi"},
    ),
    Case(
        "regular init containers: the highest one, not their sum",
        spec([C("app", {"cpu": "1"})], init=[C("i1", {"cpu": "2"}), C("i2", {"cpu": "3"})]),
        {"cpu": "3"},
    ),
    Case(
        "sidecar adds to the app containers",
        spec([C("app", {"cpu": "1"})], init=[C("s", {"cpu": "1"}, sidecar=True)]),
        {"cpu": "2"},
    ),
    Case(
        "sidecar declared before an init container adds to the init peak",
        spec([C("app", {"cpu": "1"})], init=[C("s", {"cpu": "1"}, sidecar=True), C("i", {"cpu": "5"})]),
        {"cpu": "6"},
    ),
    Case(
        "sidecar declared after an init container does not add to that init step",
        spec([C("app", {"cpu": "1"})], init=[C("i", {"cpu": "5"}), C("s", {"cpu": "1"}, sidecar=True)]),
        {"cpu": "5"},
    ),
    Case(
        "multiple sidecars and init containers interleaved",
        spec(
            [C("app", {"cpu": "1"})],
            init=[
                C("s1", {"cpu": "1"}, sidecar=True),
                C("i1", {"cpu": "1"}),
                C("s2", {"cpu": "2"}, sidecar=True),
                C("i2", {"cpu": "5"}),
            ],
        ),
        {"cpu": "8"},  # i2 runs beside s1 + s2: 5 + 1 + 2; running is 1 + 1 + 2 = 4
    ),
    Case(
        "regular init containers before sidecars",
        spec(
            [C("app", {"cpu": "1"})],
            init=[
                C("i1", {"cpu": "5"}),
                C("i2", {"cpu": "5"}),
                C("s1", {"cpu": "1"}, sidecar=True),
                C("s2", {"cpu": "2"}, sidecar=True),
            ],
        ),
        {"cpu": "5"},
    ),
    Case(
        "running phase wins when app + sidecars exceed every init step",
        spec(
            [C("app", {"memory": "1Gi"})], init=[C("s", {"memory": "256Mi"}, sidecar=True), C("i", {"memory": "512Mi"})]
        ),
        {"memory": "1280Mi"},
    ),
    Case(
        "each resource takes its own max: cpu from init, memory from running",
        spec([C("app", {"cpu": "100m", "memory": "2Gi"})], init=[C("i", {"cpu": "2", "memory": "64Mi"})]),
        {"cpu": "2", "memory": "2Gi"},
    ),
    Case(
        "a resource only an init container asks for still counts",
        spec([C("app", {"cpu": "1"})], init=[C("i", {"ephemeral-storage": "10Gi"})]),
        {"cpu": "1", "ephemeral-storage": "10Gi"},
    ),
    Case(
        "overhead is added to requests, and to limits that exist",
        spec([C("app", {"cpu": "1", "memory": "1Gi"}, {"memory": "2Gi"})], overhead={"cpu": "250m", "memory": "120Mi"}),
        {"cpu": "1250m", "memory": "1144Mi"},
        {"memory": "2168Mi"},
    ),
    Case(
        "overhead alone makes a request for a resource no container asks for",
        spec([C("app")], overhead={"cpu": "250m"}),
        {"cpu": "250m"},
    ),
    Case(
        "limits sum only declared limits (PodLimits)",
        spec([C("a", {"cpu": "1"}, {"cpu": "2"}), C("b", {"cpu": "1"})]),
        {"cpu": "2"},
        {"cpu": "2"},
    ),
    Case(
        "init container limit above the running limits sets the pod limit",
        spec([C("app", {"memory": "1Gi"}, {"memory": "1Gi"})], init=[C("i", {"memory": "3Gi"}, {"memory": "3Gi"})]),
        {"memory": "3Gi"},
        {"memory": "3Gi"},
    ),
    Case(
        "sidecar limits add to app limits and to later init steps",
        spec(
            [C("app", {}, {"cpu": "1", "memory": "1Gi"})],
            init=[
                C("s", {}, {"cpu": "500m", "memory": "256Mi"}, sidecar=True),
                C("i", {}, {"cpu": "2", "memory": "512Mi"}),
            ],
        ),
        {"cpu": "2500m", "memory": "1280Mi"},
        {"cpu": "2500m", "memory": "1280Mi"},
    ),
    Case(
        "requests default to limits before anything is computed",
        spec([C("app", {}, {"cpu": "2", "memory": "1Gi"})]),
        {"cpu": "2", "memory": "1Gi"},
        {"cpu": "2", "memory": "1Gi"},
    ),
    Case(
        "values are rounded up to milli first (1n becomes 1m)",
        spec([C("a", {"cpu": "1n"}), C("b", {"cpu": "0.0005"})]),
        {"cpu": "2m"},
    ),
    Case(
        "the sum keeps the first container's format",
        spec([C("a", {"memory": "1G"}), C("b", {"memory": "1Gi"})]),
        {"memory": "2073741824"},
    ),
    Case(
        "extended resources and hugepages count like any other",
        spec(
            [
                C(
                    "a",
                    {"cpu": "1", "nvidia.com/gpu": "1", "hugepages-2Mi": "4Mi"},
                    {"nvidia.com/gpu": "1", "hugepages-2Mi": "4Mi"},
                )
            ],
            init=[C("i", {"cpu": "1", "nvidia.com/gpu": "2"}, {"nvidia.com/gpu": "2"})],
        ),
        {"cpu": "1", "hugepages-2Mi": "4Mi", "nvidia.com/gpu": "2"},
        {"hugepages-2Mi": "4Mi", "nvidia.com/gpu": "2"},
    ),
    Case(
        "pod-level requests and limits take precedence for cpu and memory",
        spec(
            [C("a", {"cpu": "500m", "memory": "256Mi"}, {"cpu": "1"})],
            pod_requests={"cpu": "1", "memory": "1Gi"},
            pod_limits={"cpu": "2", "memory": "2Gi"},
        ),
        {"cpu": "1", "memory": "1Gi"},
        {"cpu": "2", "memory": "2Gi"},
    ),
    Case(
        "pod-level requests default to the containers' aggregate when only limits are set",
        spec([C("a", {"cpu": "500m"}), C("b", {"cpu": "250m"})], pod_limits={"cpu": "2", "memory": "1Gi"}),
        {"cpu": "750m", "memory": "1Gi"},
        {"cpu": "2", "memory": "1Gi"},
    ),
    Case(
        "pod-level figures get the overhead too",
        spec([C("a", {"cpu": "500m"})], pod_requests={"cpu": "1"}, pod_limits={"cpu": "1"}, overhead={"cpu": "100m"}),
        {"cpu": "1100m"},
        {"cpu": "1100m"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_effective_requests_and_limits(case: Case) -> None:
    result = evaluate_pod(case.pod)
    assert strings(result.requests) == dict(sorted(case.requests.items()))
    assert strings(result.limits) == dict(sorted(case.limits.items()))


def test_options_exclude_overhead_and_pod_level_resources() -> None:
    pod = evaluate_pod(
        spec(
            [C("a", {"cpu": "500m"}, {"cpu": "1"})],
            pod_requests={"cpu": "2"},
            pod_limits={"cpu": "2"},
            overhead={"cpu": "1"},
        )
    ).spec
    assert strings(pod_requests(pod)) == {"cpu": "3"}
    assert strings(pod_requests(pod, PodResourcesOptions(exclude_overhead=True))) == {"cpu": "2"}
    assert strings(pod_requests(pod, PodResourcesOptions(skip_pod_level_resources=True))) == {"cpu": "1500m"}
    assert strings(pod_limits(pod, PodResourcesOptions(skip_pod_level_resources=True, exclude_overhead=True))) == {
        "cpu": "1"
    }


def test_overhead_is_not_added_to_a_zero_limit() -> None:
    result = evaluate_pod(spec([C("a", {"cpu": "0"}, {"cpu": "0"})], overhead={"cpu": "100m"}))
    assert strings(result.limits) == {"cpu": "0"}
    assert strings(result.requests) == {"cpu": "100m"}


def test_phases_explain_which_step_sets_each_resource() -> None:
    result = evaluate_pod(
        spec(
            [C("app", {"cpu": "500m", "memory": "256Mi"}, {"cpu": "1", "memory": "512Mi"})],
            init=[
                C("proxy", {"cpu": "100m", "memory": "64Mi"}, {"memory": "64Mi"}, sidecar=True),
                C("migrate", {"cpu": "2", "memory": "128Mi"}, {"cpu": "2", "memory": "128Mi"}),
            ],
            overhead={"cpu": "250m"},
        )
    )
    phases = [
        (p.id, p.kind.value, p.running, strings(p.requests), strings(p.limits), p.unbounded_limits)
        for p in result.phases
    ]
    assert phases == [
        (
            "sidecar:proxy",
            "sidecarStart",
            ("proxy",),
            {"cpu": "100m", "memory": "64Mi"},
            {"memory": "64Mi"},
            ("cpu", "ephemeral-storage"),
        ),
        (
            "init:migrate",
            "init",
            ("proxy", "migrate"),
            {"cpu": "2100m", "memory": "192Mi"},
            {"cpu": "2", "memory": "192Mi"},
            ("cpu", "ephemeral-storage"),
        ),
        (
            "running",
            "running",
            ("app", "proxy"),
            {"cpu": "600m", "memory": "320Mi"},
            {"cpu": "1", "memory": "576Mi"},
            ("cpu", "ephemeral-storage"),
        ),
    ]
    assert result.requests_set_by == {"cpu": "init:migrate", "memory": "running"}
    assert result.limits_set_by == {"cpu": "init:migrate", "memory": "running"}
    assert strings(result.requests) == {"cpu": "2350m", "memory": "320Mi"}
    assert strings(result.limits) == {"cpu": "2250m", "memory": "576Mi"}
    assert result.unbounded_limits == ("cpu", "ephemeral-storage")


def test_a_tie_between_init_and_running_is_credited_to_running() -> None:
    result = evaluate_pod(spec([C("app", {"cpu": "1"})], init=[C("i", {"cpu": "1000m"})]))
    assert result.requests_set_by == {"cpu": "running"}
    assert strings(result.requests) == {"cpu": "1"}


def test_pod_level_figures_are_credited_to_pod_resources() -> None:
    result = evaluate_pod(
        spec([C("a", {"cpu": "500m", "memory": "1Gi"})], pod_requests={"cpu": "1"}, pod_limits={"cpu": "1"})
    )
    # with a pod-level limit set, defaultPodRequests fills the memory request from the containers
    assert result.requests_set_by == {"cpu": "podResources", "memory": "podResources"}
    assert strings(result.requests) == {"cpu": "1", "memory": "1Gi"}
    assert result.limits_set_by == {"cpu": "podResources"}
    assert result.unbounded_limits == ("memory", "ephemeral-storage")
    assert result.defaulted.pod_requests_defaulted == ("memory",)


def test_pod_level_requests_alone_are_not_defaulted() -> None:
    result = evaluate_pod(spec([C("a", {"cpu": "500m"})], pod_requests={"cpu": "1", "memory": "1Gi"}))
    assert result.requests_set_by == {"cpu": "podResources", "memory": "podResources"}
    assert result.limits_set_by == {}
    assert result.defaulted.pod_requests_defaulted == ()


UNBOUNDED = [
    ("every container limited", [C("a", {}, {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"})], [], ()),
    ("no limits at all", [C("a")], [], ("cpu", "memory", "ephemeral-storage")),
    (
        "one app container without a memory limit",
        [
            C("a", {}, {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"}),
            C("b", {}, {"cpu": "1", "ephemeral-storage": "1Gi"}),
        ],
        [],
        ("memory",),
    ),
    (
        "an init container without limits counts too",
        [C("a", {}, {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"})],
        [C("i")],
        ("cpu", "memory", "ephemeral-storage"),
    ),
    ("a zero limit is no limit", [C("a", {}, {"cpu": "0", "memory": "1Gi", "ephemeral-storage": "1Gi"})], [], ("cpu",)),
]


@pytest.mark.parametrize(("name", "containers", "init", "expected"), UNBOUNDED, ids=[u[0] for u in UNBOUNDED])
def test_unbounded_limits(name: str, containers: list[C], init: list[C], expected: tuple[str, ...]) -> None:
    assert evaluate_pod(spec(containers, init=init)).unbounded_limits == expected


def test_defaulting_is_recorded() -> None:
    result = evaluate_pod(
        spec([C("a", {"cpu": "100m"}, {"cpu": "1", "memory": "1Gi"})], init=[C("i", {}, {"cpu": "1"})])
    )
    assert result.defaulted.requests_from_limits == (("a", "memory"), ("i", "cpu"))
    assert strings(dict(result.spec.containers[0].requests)) == {"cpu": "100m", "memory": "1Gi"}


# ---- properties ---------------------------------------------------------------------------

cpu = st.integers(0, 8000).map(lambda m: f"{m}m")
memory = st.integers(0, 16 * 1024).map(lambda mi: f"{mi}Mi")
requirements = st.fixed_dictionaries({}, optional={"cpu": cpu, "memory": memory})
containers = st.lists(
    st.builds(lambda i, r: C(f"c{i}", r), st.integers(0, 10**6), requirements), min_size=1, max_size=5
)
inits = st.lists(
    st.builds(lambda i, r, s: C(f"i{i}", r, sidecar=s), st.integers(0, 10**6), requirements, st.booleans()), max_size=5
)


def _unique(cs: list[C], prefix: str) -> list[C]:
    return [C(f"{prefix}{n}", c.requests, c.limits, c.sidecar) for n, c in enumerate(cs)]


@given(containers, inits)
def test_effective_covers_every_phase(app: list[C], init: list[C]) -> None:
    result = evaluate_pod(spec(_unique(app, "a"), init=_unique(init, "i")))
    for phase in result.phases:
        for name, q in phase.requests.items():
            assert result.requests[name] >= q


@given(containers, inits, st.randoms(use_true_random=False))
def test_order_of_app_containers_never_changes_the_values(app: list[C], init: list[C], rnd: object) -> None:
    app, init = _unique(app, "a"), _unique(init, "i")
    shuffled = list(app)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    one, two = evaluate_pod(spec(app, init=init)), evaluate_pod(spec(shuffled, init=init))
    assert {n: q.nanos for n, q in one.requests.items()} == {n: q.nanos for n, q in two.requests.items()}
    assert one.qos_class == two.qos_class


@given(containers, inits)
def test_moving_an_init_container_before_the_sidecars_never_raises_the_peak(app: list[C], init: list[C]) -> None:
    app, init = _unique(app, "a"), _unique(init, "i")
    regular = [c for c in init if not c.sidecar]
    sidecars = [c for c in init if c.sidecar]
    before = evaluate_pod(spec(app, init=regular + sidecars))
    mixed = evaluate_pod(spec(app, init=init))
    for name, q in before.requests.items():
        assert q <= mixed.requests[name]


# ---- the single walk against the brief's rules, written out plainly --------------------------


@st.composite
def _requirements_with_limits(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str]]:
    """cpu and memory, each with a request, a limit, both (request <= limit) or neither."""
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    for name, unit in (("cpu", "m"), ("memory", "Mi")):
        value = st.just(0) | st.integers(1, 4000)  # zero often: a zero limit is no limit
        request, limit = draw(value), draw(value)
        choice = draw(st.sampled_from(["none", "request", "limit", "both"]))
        if choice in ("request", "both"):
            requests[name] = f"{min(request, limit) if choice == 'both' else request}{unit}"
        if choice in ("limit", "both"):
            limits[name] = f"{limit}{unit}"
    return requests, limits


_walk_app = st.lists(_requirements_with_limits(), min_size=1, max_size=4)
_walk_init = st.lists(st.tuples(_requirements_with_limits(), st.booleans()), max_size=5)


def _nanos(resources: dict[str, str]) -> dict[str, int]:
    return {name: parse_quantity(text).nanos for name, text in resources.items()}


def _sum(lists: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for resources in lists:
        for name, n in resources.items():
            out[name] = out.get(name, 0) + n
    return out


@given(_walk_app, _walk_init)
def test_every_figure_follows_the_rules_of_the_brief(
    app: list[tuple[dict[str, str], dict[str, str]]], init: list[tuple[tuple[dict[str, str], dict[str, str]], bool]]
) -> None:
    """Requests and limits of every phase and of the pod, the unbounded resources and the
    QoS class, each worked out the plain way: a request defaults to its limit; while init
    container i runs (or sidecar i starts), the sidecars before it and it run; the pod takes
    the larger of that peak and app + sidecars; QoS over every container."""
    pod = spec(
        [C(f"a{i}", r, limit) for i, (r, limit) in enumerate(app)],
        init=[C(f"i{i}", r, limit, sidecar) for i, ((r, limit), sidecar) in enumerate(init)],
    )
    result = evaluate_pod(pod)
    every = [(r, limit, False) for r, limit in app] + [(r, limit, sidecar) for (r, limit), sidecar in init]
    requests = [_nanos(limit) | _nanos(r) for r, limit, _ in every]  # request = limit where missing
    limits = [_nanos(limit) for _, limit, _ in every]
    n_app = len(app)
    for figures, pick in ((requests, "requests"), (limits, "limits")):
        sidecars = [figures[n_app + i] for i, (_, sidecar) in enumerate(init) if sidecar]
        steps = [
            _sum([figures[n_app + j] for j in range(i) if init[j][1]] + [figures[n_app + i]]) for i in range(len(init))
        ]
        running = _sum(figures[:n_app] + sidecars)
        peak = dict(running)
        for step in steps:
            for name, n in step.items():
                peak[name] = max(peak.get(name, n), n)
        got = [{name: q.nanos for name, q in getattr(p, pick).items()} for p in result.phases]
        assert got == [*steps, running]
        assert {name: q.nanos for name, q in getattr(result, pick).items()} == peak
        # credited to running where it is at least every step; else to the first step at the peak
        ids = [f"{'sidecar' if sidecar else 'init'}:i{i}" for i, (_, sidecar) in enumerate(init)]
        set_by = {}
        for name, n in peak.items():
            at_peak = [i for i, step in enumerate(steps) if step.get(name) == n]
            set_by[name] = "running" if name in running and running[name] == n else ids[at_peak[0]]
        assert getattr(result, f"{pick}_set_by") == set_by
    unbounded = [n for n in ("cpu", "memory", "ephemeral-storage") if any(not lim.get(n) for lim in limits)]
    assert list(result.unbounded_limits) == unbounded
    cpu_memory = [
        (r.get(n, 0), lim.get(n, 0)) for r, lim in zip(requests, limits, strict=True) for n in ("cpu", "memory")
    ]
    if not any(r or lim for r, lim in cpu_memory):
        expected = QOSClass.BEST_EFFORT
    elif all(lim for _, lim in cpu_memory) and all(
        sum(r.get(n, 0) for r in requests) == sum(lim.get(n, 0) for lim in limits) for n in ("cpu", "memory")
    ):
        expected = QOSClass.GUARANTEED
    else:
        expected = QOSClass.BURSTABLE
    assert result.qos_class == expected
