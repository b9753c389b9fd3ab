"""The scheduler's filters (``calc.scheduling``), each against the Kubernetes function it follows."""

from __future__ import annotations

from calc.scheduling import NodeFacts, Placement, Taint, Toleration, refusal, tolerates, untolerated_taint


def test_tolerations_match_as_tolerates_taint_does() -> None:
    """``Toleration.ToleratesTaint``: empty key with Exists matches every taint; empty effect every effect."""
    taint = Taint("dedicated", "gpu", "NoSchedule")
    assert tolerates(Toleration(operator="Exists"), taint)
    assert tolerates(Toleration("dedicated", "Equal", "gpu"), taint)
    assert not tolerates(Toleration("dedicated", "Equal", "cpu"), taint)
    assert not tolerates(Toleration("dedicated", "Exists", effect="NoExecute"), taint)


def test_prefer_no_schedule_never_filters() -> None:
    taints = (Taint("a", "", "PreferNoSchedule"), Taint("b", "", "NoExecute"))
    assert untolerated_taint(taints, ()) == taints[1]
    assert untolerated_taint(taints[:1], ()) is None


def test_the_filters_words() -> None:
    cordoned = NodeFacts(unschedulable=True)
    assert refusal(cordoned, Placement()) == "node(s) were unschedulable"
    tolerant = Placement((Toleration("node.kubernetes.io/unschedulable", "Exists", effect="NoSchedule"),))
    assert refusal(cordoned, tolerant) is None
    tainted = NodeFacts(taints=(Taint("node-role.kubernetes.io/control-plane", "", "NoSchedule"),))
    assert refusal(tainted, Placement()) == "node(s) had untolerated taint(s)"  # kubernetes#134740 (1.35)
    labelled = NodeFacts(labels={"disk": "ssd"})
    assert (
        refusal(labelled, Placement(node_selector={"disk": "hdd"}))
        == "node(s) didn't match Pod's node affinity/selector"
    )
    assert refusal(labelled, Placement(node_selector={"disk": "ssd"})) is None
