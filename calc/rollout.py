"""Rollouts: how a workload's pods are replaced, and the most old and new pods hold at once.

- A Deployment's RollingUpdate runs up to maxSurge old pods beside the new ones
  (``surge_and_unavailable``, ``rollout_peak``); Recreate never runs both at once.
- A DaemonSet's RollingUpdate overlaps on ``maxSurge`` nodes (``daemon_surge_and_unavailable``).
- A StatefulSet replaces each pod once it is gone (``statefulset_unavailable``); only a
  ``Parallel`` scale-down runs condemned pods beside the new ones (``statefulset_overlap``),
  and ``rollingUpdate.partition`` holds pods back on their old template (``statefulset_partition``).

``rollout`` puts these together for one workload. Sources: ``pkg/controller/deployment``,
``pkg/controller/daemon``, ``pkg/controller/statefulset`` and the apps validation that
refuses a strategy the kind does not have.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from calc.pod import ResourceList
from calc.quantity import Quantity

_PERCENT = re.compile(r"[0-9]+%")  # IsValidPercent: ASCII digits only
_STRATEGY_TYPES = {
    "Deployment": ("Recreate", "RollingUpdate"),
    "DaemonSet": ("OnDelete", "RollingUpdate"),
    "StatefulSet": ("OnDelete", "RollingUpdate"),
}


class UnsupportedStrategyError(ValueError):
    """A strategy ``type`` the workload's kind does not have."""


def strategy_type(kind: str, written: object) -> str:
    """A Deployment's, DaemonSet's or StatefulSet's strategy ``type``: as written, RollingUpdate
    where none is (the default of the three); ``UnsupportedStrategyError`` for a type the API server refuses
    (``ValidateDeploymentStrategy``, ``ValidateDaemonSetUpdateStrategy``, the StatefulSet's
    ``updateStrategy`` validation), in its words."""
    supported = _STRATEGY_TYPES.get(kind)
    if written is None or supported is None:  # other kinds have no strategy: replaced as they go
        return "RollingUpdate"
    if type(written) is not str or written not in supported:
        shown = json.dumps(written) if isinstance(written, str | int | float | bool) else str(written)
        listed = ", ".join(json.dumps(t) for t in supported)
        raise UnsupportedStrategyError(f"Unsupported value: {shown}: supported values: {listed}")
    return written


def scaled(value: object, total: int, default: int | str, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``: an int as is, a percent of ``total`` rounded
    up (maxSurge) or down (maxUnavailable). ``ValueError`` for what the API server refuses:
    anything but an int or a string of digits and ``%`` (``IsValidPercent``; a float or a
    bool does not decode as an IntOrString), and a negative int
    (``ValidateNonnegativeIntOrPercent``)."""
    value = default if value is None else value
    if type(value) is int:
        if value < 0:
            raise ValueError(f"{value}: must be greater than or equal to 0")
        return value
    if type(value) is not str or _PERCENT.fullmatch(value) is None:
        raise ValueError(f"{_written(value)}: an int or a percentage such as '25%'")
    share = Fraction(int(value[:-1]) * total, 100)
    return -(-share.numerator // share.denominator) if round_up else share.numerator // share.denominator


def _written(value: object) -> str:
    """A decoded value as a manifest writes it: a string quoted, a bool as ``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def surge_and_unavailable(replicas: int, max_surge: object, max_unavailable: object) -> tuple[int, int]:
    """``ResolveFenceposts``: maxSurge (default 25%, rounded up) and maxUnavailable (default
    25%, rounded down); when both come to 0, one pod may be unavailable."""
    surge = scaled(max_surge, replicas, "25%", True)
    unavailable = scaled(max_unavailable, replicas, "25%", False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def daemon_surge_and_unavailable(nodes: int, max_surge: object, max_unavailable: object) -> tuple[int, int]:
    """A DaemonSet's ``updatedDesiredNodeCounts`` (``util.SurgeCount``, ``UnavailableCount``):
    maxSurge (default 0) and maxUnavailable (default 1), each an int or a percentage of the
    nodes it runs on, rounded up; when both come to 0, one pod may be unavailable."""
    surge = scaled(max_surge, nodes, 0, True)
    unavailable = scaled(max_unavailable, nodes, 1, True)
    return surge, 1 if surge == 0 and unavailable == 0 else unavailable


def statefulset_unavailable(replicas: int, max_unavailable: object) -> int:
    """``getStatefulSetMaxUnavailable``: maxUnavailable (default 1), an int or a percentage of
    the replicas rounded down, at least 1 (KEP-961, ``MaxUnavailableStatefulSet``, beta in 1.35).
    It sets how many pods are replaced at once, never how many run: a StatefulSet's pod keeps
    its name, so its replacement is created only once it is gone. ``ValueError`` for 0 and
    above 100%, which ``ValidateRollingUpdateStatefulSet`` refuses."""
    if (type(max_unavailable) is int and max_unavailable == 0) or max_unavailable == "0%":
        raise ValueError(f"{_written(max_unavailable)}: must be greater than 0")
    if type(max_unavailable) is str and _PERCENT.fullmatch(max_unavailable) and int(max_unavailable[:-1]) > 100:
        raise ValueError(f"{_written(max_unavailable)}: must not be greater than 100%")
    return max(1, scaled(max_unavailable, replicas, 1, False))


def statefulset_overlap(old_pods: int, new_pods: int, parallel: bool) -> int:
    """How many old pods a StatefulSet's rolling update may run beside all its new ones (the
    ``surge`` of ``rollout_peak``). Zero with ``podManagementPolicy: OrderedReady``: the pods
    a scale-down condemns (ordinals from ``replicas`` up) are gone before any pod is replaced.
    With ``Parallel`` they are deleted without waiting and the update starts while they
    terminate, still counted (``updateStatefulSet``: ``processCondemned``, then the rolling
    update): up to ``old_pods - new_pods`` of them."""
    return max(0, old_pods - new_pods) if parallel else 0


@dataclass(frozen=True, slots=True)
class Peak:
    """The most a rollout holds at once, per resource, and the pod mix that holds it."""

    pods: int  # the most pods at once
    requests: dict[str, Quantity]
    mix: dict[str, tuple[int, int]]  # resource -> (old pods, new pods) at its peak


def rollout_peak(old: ResourceList, old_pods: int, new: ResourceList, new_pods: int, surge: int | None) -> Peak:
    """The peak of replacing ``old_pods`` pods of ``old`` by ``new_pods`` of ``new``, as the
    Deployment controller rolls out (``pkg/controller/deployment``).

    RollingUpdate (``surge`` = maxSurge; ``rolloutRolling``): the new ReplicaSet grows while
    old and new pods together stay within ``new_pods + surge`` (``NewRSNewReplicas``,
    ``pkg/controller/deployment/util``), and the old ones shrink as new ones become
    available (``reconcileOldReplicaSets``): at most ``new_pods + surge`` pods at once. Per
    resource, when a new pod asks at least as much as an old one the peak is every new pod
    with ``min(surge, old_pods)`` old ones; otherwise every old pod with
    ``new_pods + surge - old_pods`` new ones (at least 0, at most ``new_pods``); a rollout
    that also scales down peaks at its old pods where they hold more. Recreate (``surge``
    None; ``rolloutRecreate``): the old pods are gone before the new ReplicaSet grows, so the
    peak is the larger side.
    """
    if surge is None:
        mix = {
            n: (old_pods, 0) if _total(old, n, old_pods) >= _total(new, n, new_pods) else (0, new_pods)
            for n in {*old, *new}
        }
        return Peak(max(old_pods, new_pods), _figures(old, new, mix), mix)
    mix = {}
    for name in {*old, *new}:
        if _one(new, name) >= _one(old, name):
            mix[name] = (min(surge, old_pods), new_pods)
        else:
            mix[name] = (old_pods, max(0, min(new_pods, new_pods + surge - old_pods)))
        if _total(old, name, old_pods) > _total(old, name, mix[name][0]) + _total(new, name, mix[name][1]):
            mix[name] = (old_pods, 0)  # a rollout that also scales down starts at its old pods
    return Peak(max(new_pods + min(surge, old_pods), old_pods), _figures(old, new, mix), mix)


def _one(resources: ResourceList, name: str) -> int:
    return resources[name].nanos if name in resources else 0


def _total(resources: ResourceList, name: str, pods: int) -> int:
    return _one(resources, name) * pods


def _figures(old: ResourceList, new: ResourceList, mix: Mapping[str, tuple[int, int]]) -> dict[str, Quantity]:
    """The totals of each resource's mix, in the format of the new pods' figure (else the old's)."""
    return {
        n: Quantity(_total(old, n, o) + _total(new, n, w), (new.get(n) or old[n]).format)
        for n, (o, w) in sorted(mix.items())
    }


@dataclass(frozen=True, slots=True)
class Strategy:
    """A workload's update strategy as written (``strategy`` of a Deployment, ``updateStrategy``
    of a DaemonSet or StatefulSet): its ``type``, its ``rollingUpdate`` fields and a
    StatefulSet's ``podManagementPolicy``; None where absent, any other value as decoded, for
    the rules to refuse."""

    type: object = None
    max_surge: object = None
    max_unavailable: object = None
    partition: object = None
    pod_management_policy: object = None


@dataclass(frozen=True, slots=True)
class Rollout:
    """How a replacement rolls out, and the most it holds at once."""

    strategy: str  # RollingUpdate, Recreate, OnDelete
    max_surge: int | None  # the old pods that may run beside the new ones; None: none do
    max_unavailable: int | None
    peak: Peak


def rollout(
    kind: str, strategy: Strategy, old: ResourceList, old_pods: int, new: ResourceList, new_pods: int
) -> Rollout:
    """The rollout that replaces ``old_pods`` pods of ``old`` by ``new_pods`` of ``new``, and
    which of its strategies run old and new pods together (``rollout_peak``):

    - A StatefulSet replaces each pod once it is gone, with OnDelete as with RollingUpdate
      (``updateStatefulSet``): only the pods a ``Parallel`` scale-down condemns run beside the
      new ones (``statefulset_overlap``); RollingUpdate's maxUnavailable is
      ``statefulset_unavailable``.
    - A Deployment's RollingUpdate runs up to maxSurge old pods beside the new ones
      (``surge_and_unavailable``, ``pkg/controller/deployment/util``).
    - A DaemonSet's RollingUpdate starts a node's new pod before its old one stops only with
      a maxSurge above 0 (``daemon_surge_and_unavailable``, ``pkg/controller/daemon``:
      ``rollingUpdate``); with none it stops the old pod first.
    - Recreate, a DaemonSet's OnDelete, and any other kind (no strategy): never both at once.

    ``UnsupportedStrategyError`` for a type the kind does not have (``strategy_type``),
    ``ValueError`` for a ``rollingUpdate`` figure the API server refuses.
    """
    written = strategy_type(kind, strategy.type)
    if kind == "StatefulSet":
        overlap = statefulset_overlap(old_pods, new_pods, strategy.pod_management_policy == "Parallel")
        peak = rollout_peak(old, old_pods, new, new_pods, overlap)
        if written == "OnDelete":  # each pod is replaced once someone deletes it: the same mixes
            return Rollout("OnDelete", None, None, peak)
        return Rollout("RollingUpdate", None, statefulset_unavailable(new_pods, strategy.max_unavailable), peak)
    fenceposts = {"Deployment": surge_and_unavailable, "DaemonSet": daemon_surge_and_unavailable}.get(kind)
    if fenceposts is not None and written not in ("Recreate", "OnDelete"):
        surge, unavailable = fenceposts(new_pods, strategy.max_surge, strategy.max_unavailable)
        if surge > 0 or kind == "Deployment":
            return Rollout("RollingUpdate", surge, unavailable, rollout_peak(old, old_pods, new, new_pods, surge))
    return Rollout(written, None, None, rollout_peak(old, old_pods, new, new_pods, None))


def statefulset_partition(kind: str, strategy: Strategy | None) -> int | None:
    """The ``rollingUpdate.partition`` of a StatefulSet's update strategy: its pods with an
    ordinal below it keep their old template (``updateStatefulSet``,
    ``newVersionedStatefulSetPod``, ``pkg/controller/statefulset``). None where it holds no
    pod back: another kind, an OnDelete strategy, no partition, or one of 0 or less (an int
    only)."""
    if kind != "StatefulSet" or strategy is None:
        return None
    partition = strategy.partition
    if strategy.type == "OnDelete" or type(partition) is not int or partition <= 0:
        return None
    return partition
