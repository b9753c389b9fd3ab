"""Two plans compared: each workload's change, the sums per namespace and overall, QoS changes,
quotas, node shapes, and the gate on total request increases.

Workloads are matched by (kind, namespace, name), as the API server keys objects. Deltas are
exact (after - before in nano-units) and print as Kubernetes prints quantities
(``Quantity.String``): ``500m -> 1500m`` is ``1``, ``1Gi -> 1536Mi`` is ``512Mi``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from calc.diff import (
    Delta,
    Diff,
    DuplicateWorkloadError,
    Figures,
    PlanFigures,
    PlannedWorkload,
    QuotaChange,
    QuotaState,
    compare,
    delta,
    increases_beyond,
)
from calc.errors import CalcError, Location
from calc.pod import ResourceList
from calc.quantity import canonical
from tests.podbuild import quantities

SHOP = "shop"


def texts(resources: ResourceList) -> dict[str, str]:
    """A ResourceList as Kubernetes prints it, for comparing with the tables' strings."""
    return {name: canonical(q) for name, q in resources.items()}


def figures(
    pods: int,
    requests: dict[str, str],
    limits: dict[str, str] | None = None,
    qos: str | None = "Burstable",
    admitted: int | None = None,
    unbounded: tuple[str, ...] = (),
) -> Figures:
    """A workload's totals (all its pods), as Kubernetes strings."""
    return Figures(
        pods, pods if admitted is None else admitted, quantities(requests), quantities(limits), unbounded, qos
    )


def planned(kind: str, name: str, f: Figures, namespace: str = SHOP, document: int = 0) -> PlannedWorkload:
    return PlannedWorkload((kind, namespace, name), Location(document, ("spec",)), f)


def plan(*workloads: PlannedWorkload) -> PlanFigures:
    return PlanFigures(list(workloads), [], [], None)


def shown(d: Delta) -> tuple[int, dict[str, str], dict[str, str]]:
    return (d.pods, texts(d.requests), texts(d.limits))


# --- the README's diff, worked by hand -------------------------------------------------------------

# web 3 -> 5 replicas of 500m/1Gi, its cpu limit 1 -> 500m (now Guaranteed); report (1 cpu, 2Gi)
# removed; api added, 3 x 250m/256Mi, the quota admitting 2 of them.
BEFORE = PlanFigures(
    [
        planned("Deployment", "web", figures(3, {"cpu": "1500m", "memory": "3Gi"}, {"cpu": "3", "memory": "3Gi"})),
        planned(
            "Job",
            "report",
            figures(1, {"cpu": "1", "memory": "2Gi"}, {"cpu": "1", "memory": "2Gi"}, "Guaranteed"),
            document=1,
        ),
    ],
    [QuotaState(SHOP, "shop-quota", True, [], quantities({"requests.cpu": "500m"}))],
    [("small", 2)],
    None,
)
AFTER = PlanFigures(
    [
        planned(
            "Deployment",
            "web",
            figures(5, {"cpu": "2500m", "memory": "5Gi"}, {"cpu": "2500m", "memory": "5Gi"}, "Guaranteed"),
        ),
        planned("Deployment", "api", figures(3, {"cpu": "750m", "memory": "768Mi"}, admitted=2), document=1),
    ],
    [QuotaState(SHOP, "shop-quota", False, ["requests.cpu"], quantities({"requests.cpu": "-250m"}))],
    [("small", 2)],
    True,
)


def test_the_readme_diff_workload_by_workload() -> None:
    """Workloads in the order of the plan before, then those only after."""
    web, report, api = compare(BEFORE, AFTER).workloads
    assert (web.key, web.change, shown(web.delta), web.pods_admitted, web.qos_change) == (
        ("Deployment", SHOP, "web"),
        "changed",
        (2, {"cpu": "1", "memory": "2Gi"}, {"cpu": "-500m", "memory": "2Gi"}),
        2,
        "Burstable -> Guaranteed",
    )
    assert (report.key, report.change, report.after, shown(report.delta), report.pods_admitted) == (
        ("Job", SHOP, "report"),
        "removed",
        None,
        (-1, {"cpu": "-1", "memory": "-2Gi"}, {"cpu": "-1", "memory": "-2Gi"}),
        -1,
    )
    assert report.qos_change is None
    assert (api.key, api.change, api.before, shown(api.delta), api.pods_admitted, api.qos_change) == (
        ("Deployment", SHOP, "api"),
        "added",
        None,
        (3, {"cpu": "750m", "memory": "768Mi"}, {}),
        2,  # the quota refuses the third: 2500m + 3 x 250m > 3
        None,
    )
    assert (web.before, web.after) == (BEFORE.workloads[0].figures, AFTER.workloads[0].figures)


def test_the_readme_diff_sums() -> None:
    """Requests: +1 cpu - 1 cpu + 750m = 750m; +2Gi - 2Gi + 768Mi = 768Mi. Limits: memory +2Gi - 2Gi
    cancels out and is left out; cpu -500m - 1 = -1500m."""
    d = compare(BEFORE, AFTER)
    total = (4, {"cpu": "750m", "memory": "768Mi"}, {"cpu": "-1500m"})
    assert shown(d.total) == total
    assert [(ns, shown(delta_)) for ns, delta_ in d.namespaces] == [(SHOP, total)]


def test_the_readme_diff_quotas_shapes_and_nodes() -> None:
    d = compare(BEFORE, AFTER)
    assert d.quotas == [QuotaChange(AFTER.quotas[0], BEFORE.quotas[0])]
    (change,) = d.quotas
    assert (change.before is not None and change.before.fits, change.after.fits) == (True, False)
    assert texts(change.after.remaining) == {"requests.cpu": "-250m"}
    assert d.shapes == [("small", 2, 2)]
    assert d.nodes == (None, True)


# --- one workload's change -----------------------------------------------------------------------


@dataclass
class Change:
    name: str
    before: Figures
    after: Figures
    change: str
    delta: tuple[int, dict[str, str], dict[str, str]]
    pods_admitted: int = 0
    qos_change: str | None = None


CHANGES = [
    Change(
        "the same figures: unchanged",
        figures(2, {"cpu": "1"}, {"cpu": "2"}),
        figures(2, {"cpu": "1"}, {"cpu": "2"}),
        "unchanged",
        (0, {}, {}),
    ),
    Change(
        "the same quantity written another way (1Gi, 1024Mi) prints the same: unchanged",
        figures(1, {"memory": "1Gi"}),
        figures(1, {"memory": "1024Mi"}),
        "unchanged",
        (0, {}, {}),
    ),
    Change(
        "more replicas: every total grows",
        figures(3, {"cpu": "1500m", "memory": "1536Mi"}, {"cpu": "3"}),
        figures(4, {"cpu": "2", "memory": "2Gi"}, {"cpu": "4"}),
        "changed",
        (1, {"cpu": "500m", "memory": "512Mi"}, {"cpu": "1"}),
        pods_admitted=1,
    ),
    Change(
        "only the pods admitted change: changed, with no delta of figures",
        figures(3, {"cpu": "3"}, admitted=3),
        figures(3, {"cpu": "3"}, admitted=2),
        "changed",
        (0, {}, {}),
        pods_admitted=-1,
    ),
    Change(
        "a limit removed: its delta is minus the limit, and the QoS class changes",
        figures(1, {"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"}, "Guaranteed"),
        figures(1, {"cpu": "1", "memory": "1Gi"}, {"memory": "1Gi"}, "Burstable"),
        "changed",
        (0, {}, {"cpu": "-1"}),
        qos_change="Guaranteed -> Burstable",
    ),
    Change(
        "a resource without a limit any more: unbounded changes the figures",
        figures(1, {"memory": "1Gi"}, {"memory": "1Gi"}),
        figures(1, {"memory": "1Gi"}, {"memory": "1Gi"}, unbounded=("cpu",)),
        "changed",
        (0, {}, {}),
    ),
    Change(
        "a QoS change alone",
        figures(1, {}, qos="BestEffort"),
        figures(1, {}, qos="Burstable"),
        "changed",
        (0, {}, {}),
        qos_change="BestEffort -> Burstable",
    ),
]


@pytest.mark.parametrize("case", CHANGES, ids=[c.name for c in CHANGES])
def test_a_workload_present_on_both_sides(case: Change) -> None:
    (w,) = compare(
        plan(planned("Deployment", "web", case.before)), plan(planned("Deployment", "web", case.after))
    ).workloads
    assert (w.change, shown(w.delta), w.pods_admitted, w.qos_change) == (
        case.change,
        case.delta,
        case.pods_admitted,
        case.qos_change,
    )


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param({"cpu": "500m"}, {"cpu": "1500m"}, {"cpu": "1"}, id="500m -> 1500m is 1"),
        pytest.param({"cpu": "100m"}, {"cpu": "1.5"}, {"cpu": "1400m"}, id="1.5 is 1500m"),
        pytest.param({"memory": "1Gi"}, {"memory": "1536Mi"}, {"memory": "512Mi"}, id="1Gi -> 1536Mi is 512Mi"),
        pytest.param({"memory": "1Gi"}, {"memory": "1.5Gi"}, {"memory": "512Mi"}, id="1.5Gi is 1536Mi"),
        pytest.param({}, {"cpu": "250m"}, {"cpu": "250m"}, id="a resource added: all of it"),
        pytest.param({"memory": "1Gi"}, {}, {"memory": "-1Gi"}, id="a resource removed: minus it, in its format"),
        pytest.param(
            {"memory": "1G"},
            {"memory": "1.5Gi"},
            {"memory": "610612736"},
            id="the format of after: binary, but not whole Ki, prints as decimal",
        ),
        pytest.param(
            {"memory": "1Gi"},
            {"memory": "2G"},
            {"memory": "926258176"},
            id="the format of after: decimal",
        ),
        pytest.param({"cpu": "1", "memory": "1Gi"}, {"cpu": "1000m", "memory": "1Gi"}, {}, id="no change: left out"),
        pytest.param({"nvidia.com/gpu": "2"}, {"nvidia.com/gpu": "1"}, {"nvidia.com/gpu": "-1"}, id="extended"),
        pytest.param(
            {"cpu": "1", "memory": "2Gi"},
            {"memory": "1Gi", "cpu": "1"},
            {"memory": "-1Gi"},
            id="only the resources that change",
        ),
    ],
)
def test_delta(before: dict[str, str], after: dict[str, str], expected: dict[str, str]) -> None:
    """after - before per resource, exactly, printed in the format of after (else before)."""
    d = delta(quantities(before), quantities(after))
    assert texts(d) == expected
    assert list(d) == sorted(d)


# --- sums per namespace and overall ---------------------------------------------------------------


def test_sums_print_in_each_resources_usual_format() -> None:
    """A sum of changes prints as its resource is usually written: memory binary (1Gi), cpu and
    counts decimal, whatever the workloads' own formats were (536870912 + 512Mi = 1Gi; 5e-1 + 500m = 1)."""
    before = plan(planned("Deployment", "x", figures(1, {"cpu": "1"})))
    after = plan(
        planned("Deployment", "x", figures(1, {"cpu": "1500m", "memory": "536870912"})),
        planned("Deployment", "y", figures(1, {"cpu": "5e-1", "memory": "512Mi", "nvidia.com/gpu": "1"})),
    )
    d = compare(before, after)
    x, y = d.workloads
    assert texts(x.delta.requests) == {"cpu": "500m", "memory": "536870912"}
    assert texts(y.delta.requests) == {"cpu": "500e-3", "memory": "512Mi", "nvidia.com/gpu": "1"}
    assert texts(d.total.requests) == {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "1"}


def test_sums_per_namespace_in_order_of_appearance_and_overall() -> None:
    before = plan(
        planned("Deployment", "web", figures(2, {"cpu": "1", "memory": "2Gi"}), namespace="shop"),
        planned("Deployment", "db", figures(1, {"cpu": "2", "memory": "4Gi"}), namespace="data"),
    )
    after = plan(
        planned("Deployment", "db", figures(1, {"cpu": "2", "memory": "4Gi"}), namespace="data"),
        planned("Deployment", "web", figures(3, {"cpu": "1500m", "memory": "3Gi"}), namespace="shop"),
        planned("Job", "etl", figures(2, {"cpu": "500m", "memory": "512Mi"}), namespace="data"),
        planned("Deployment", "web", figures(1, {"cpu": "250m"}), namespace="staging"),
    )
    d = compare(before, after)
    assert [(ns, shown(delta_)) for ns, delta_ in d.namespaces] == [
        ("shop", (1, {"cpu": "500m", "memory": "1Gi"}, {})),
        ("data", (2, {"cpu": "500m", "memory": "512Mi"}, {})),  # db unchanged; etl added
        ("staging", (1, {"cpu": "250m"}, {})),  # same kind and name, another namespace: another workload
    ]
    assert shown(d.total) == (4, {"cpu": "1250m", "memory": "1536Mi"}, {})
    assert [(w.key, w.change) for w in d.workloads] == [
        (("Deployment", "shop", "web"), "changed"),
        (("Deployment", "data", "db"), "unchanged"),
        (("Job", "data", "etl"), "added"),
        (("Deployment", "staging", "web"), "added"),
    ]


def test_nothing_changes() -> None:
    d = compare(BEFORE, BEFORE)
    assert [w.change for w in d.workloads] == ["unchanged", "unchanged"]
    assert shown(d.total) == (0, {}, {})
    assert [(ns, shown(delta_)) for ns, delta_ in d.namespaces] == [(SHOP, (0, {}, {}))]


def test_two_empty_plans() -> None:
    d = compare(plan(), plan())
    assert d == Diff([], [], Delta(0, {}, {}), [], [], (None, None))


# --- quotas, shapes, Nodes ---------------------------------------------------------------------------


def quota_state(namespace: str | None, name: str, fits: bool) -> QuotaState:
    exceeded = [] if fits else ["pods"]
    return QuotaState(namespace, name, fits, exceeded, quantities({"pods": "1" if fits else "-1"}))


def test_quotas_are_matched_by_namespace_and_name() -> None:
    """The quotas after, each with its state before (None: not there before, or in another namespace)."""
    shop, other, new = quota_state(SHOP, "q", True), quota_state("other", "q", True), quota_state(SHOP, "new", True)
    old_shop = quota_state(SHOP, "q", False)
    d = compare(
        PlanFigures([], [old_shop], [], None),
        PlanFigures([], [shop, other, new], [], None),
    )
    assert d.quotas == [QuotaChange(shop, old_shop), QuotaChange(other, None), QuotaChange(new, None)]
    assert [(c.before.fits if c.before else None, c.after.fits) for c in d.quotas] == [
        (False, True),
        (None, True),
        (None, True),
    ]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param([("small", 2)], [("small", 3)], [("small", 2, 3)], id="nodes before and after"),
        pytest.param([], [("big", 1)], [("big", None, 1)], id="a shape only after: None before"),
        pytest.param(
            [("big", 4), ("small", 2)],
            [("small", 2), ("big", 3)],
            [("small", 2, 2), ("big", 4, 3)],
            id="matched by name, in the order after",
        ),
        pytest.param([("small", 1)], [("small", 0)], [("small", 1, 0)], id="no nodes needed any more"),
    ],
)
def test_shapes_nodes_before_and_after(
    before: list[tuple[str, int]], after: list[tuple[str, int]], expected: list[tuple[str, int | None, int]]
) -> None:
    assert compare(PlanFigures([], [], before, None), PlanFigures([], [], after, None)).shapes == expected


@pytest.mark.parametrize(
    ("before", "after"),
    [(None, True), (True, False), (False, None), (None, None)],
)
def test_whether_everything_fits_the_nodes_given(before: bool | None, after: bool | None) -> None:
    assert compare(PlanFigures([], [], [], before), PlanFigures([], [], [], after)).nodes == (before, after)


# --- one name twice --------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["before", "after"])
def test_a_workload_twice_on_one_side_is_refused(side: str) -> None:
    """The API server keeps one object per kind, namespace and name: the second is named with its document."""
    web = figures(3, {"cpu": "1"})
    twice = plan(planned("Deployment", "web", web, "default", 0), planned("Deployment", "web", web, "default", 2))
    once = plan(planned("Deployment", "web", web, "default", 0))
    with pytest.raises(DuplicateWorkloadError) as raised:
        compare(twice, once) if side == "before" else compare(once, twice)
    err = raised.value
    assert (err.side, err.key, err.location) == (side, ("Deployment", "default", "web"), Location(2, ("spec",)))
    assert err.reason == "Deployment web in namespace default appears twice: the API server keeps one per name"
    assert str(err) == (
        f"{side} document 2: Deployment web in namespace default appears twice: the API server keeps one per name"
    )
    assert isinstance(err, ValueError)
    assert isinstance(err, CalcError)


def test_the_same_name_of_another_kind_or_namespace_is_another_workload() -> None:
    f = figures(1, {"cpu": "1"})
    side = plan(
        planned("Deployment", "web", f), planned("StatefulSet", "web", f), planned("Deployment", "web", f, "other")
    )
    assert [w.change for w in compare(side, side).workloads] == ["unchanged"] * 3


# --- the gate ----------------------------------------------------------------------------------------


def totals(requests: dict[str, str]) -> Diff:
    return Diff([], [], Delta(0, quantities(requests), {}), [], [], (None, None))


@pytest.mark.parametrize(
    ("grown", "thresholds", "failures"),
    [
        pytest.param(
            {"cpu": "2"}, {"cpu": "1"}, ["total cpu requests grow by 2, more than 1"], id="more than the threshold"
        ),
        pytest.param(
            {"cpu": "750m", "memory": "768Mi"},
            {"cpu": "500m"},
            ["total cpu requests grow by 750m, more than 500m"],
            id="the README's gate: cpu=500m",
        ),
        pytest.param({"cpu": "750m", "memory": "768Mi"}, {"cpu": "1", "memory": "1Gi"}, [], id="within both"),
        pytest.param({"cpu": "1"}, {"cpu": "1000m"}, [], id="exactly the threshold is not more"),
        pytest.param({"cpu": "-1"}, {"cpu": "0"}, [], id="a decrease never fails"),
        pytest.param({"memory": "1Gi"}, {"cpu": "0"}, [], id="a resource that does not change never fails"),
        pytest.param(
            {"cpu": "1001m", "memory": "1025Mi"},
            {"memory": "1Gi", "cpu": "1"},
            ["total memory requests grow by 1025Mi, more than 1Gi", "total cpu requests grow by 1001m, more than 1"],
            id="every failure, in the thresholds' order",
        ),
    ],
)
def test_increases_beyond(grown: dict[str, str], thresholds: dict[str, str], failures: list[str]) -> None:
    """``podcalc diff --fail-if-increase cpu=2``: only the total requests count."""
    assert increases_beyond(totals(grown), quantities(thresholds)) == failures


def test_the_gate_reads_the_total_of_a_comparison() -> None:
    assert increases_beyond(compare(BEFORE, AFTER), quantities({"cpu": "500m"})) == [
        "total cpu requests grow by 750m, more than 500m"
    ]
