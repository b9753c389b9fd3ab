"""The scheduler's filters that keep a pod off a node, over what they read of each.

A node takes a new pod unless it is cordoned (``spec.unschedulable``, the NodeUnschedulable
filter), it has a ``NoSchedule`` or ``NoExecute`` taint the pod does not tolerate
(TaintToleration; ``PreferNoSchedule`` never filters), or the pod's ``nodeSelector`` names
labels it lacks (NodeAffinity). Node affinity terms are not modelled. The filters are the
plugins of ``pkg/scheduler/framework/plugins/`` (``nodeunschedulable``, ``tainttoleration``,
``nodeaffinity``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
_FILTERING = ("NoSchedule", "NoExecute")


@dataclass(frozen=True, slots=True)
class Taint:
    """A node's ``spec.taints`` entry (``v1.Taint``)."""

    key: str
    value: str
    effect: str


@dataclass(frozen=True, slots=True)
class Toleration:
    """A pod's ``spec.tolerations`` entry (``v1.Toleration``), with the API's defaults."""

    key: str = ""
    operator: str = "Equal"  # Equal or Exists
    value: str = ""
    effect: str = ""  # empty: every effect


@dataclass(frozen=True, slots=True)
class Placement:
    """What the scheduler's filters read of a pod."""

    tolerations: tuple[Toleration, ...] = ()
    node_selector: Mapping[str, str] = field(default_factory=dict)
    node_affinity: bool = False  # requiredDuringScheduling node affinity: not modelled


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What the scheduler's filters read of a node."""

    unschedulable: bool = False
    taints: tuple[Taint, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


def tolerates(t: Toleration, taint: Taint) -> bool:
    """``Toleration.ToleratesTaint`` (k8s.io/api/core/v1/toleration.go): the effect matches (or
    is empty), the key matches (or is empty with Exists), and Exists, or Equal with the value."""
    if t.effect and t.effect != taint.effect:
        return False
    if t.key and t.key != taint.key:
        return False
    if t.operator == "Exists":
        return True
    return t.operator in ("Equal", "") and t.value == taint.value


def untolerated_taint(taints: Sequence[Taint], tolerations: Sequence[Toleration]) -> Taint | None:
    """The first NoSchedule or NoExecute taint no toleration tolerates
    (``FindMatchingUntoleratedTaint``, k8s.io/component-helpers/scheduling/corev1/helpers.go,
    as TaintToleration's Filter calls it)."""
    for taint in taints:
        if taint.effect in _FILTERING and not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def refusal(node: NodeFacts, pod: Placement) -> str | None:
    """Why the scheduler's filters keep ``pod`` off ``node``, in the reason each filter gives
    (NodeUnschedulable's ``ErrReasonUnschedulable``, unless the pod tolerates the
    ``node.kubernetes.io/unschedulable`` taint; TaintToleration's untolerated taint;
    NodeAffinity's ``ErrReasonPod`` for the ``nodeSelector``), or None."""
    if node.unschedulable:
        cordon = Taint(UNSCHEDULABLE_TAINT, "", "NoSchedule")
        if not any(tolerates(t, cordon) for t in pod.tolerations):
            return "node(s) were unschedulable"
    if untolerated_taint(node.taints, pod.tolerations) is not None:
        return "node(s) had untolerated taint(s)"  # the taint itself is no longer named (kubernetes#134740, 1.35)
    if any(node.labels.get(k) != v for k, v in pod.node_selector.items()):
        return "node(s) didn't match Pod's node affinity/selector"
    return None
