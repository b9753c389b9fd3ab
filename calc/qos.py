"""A pod's QoS class, as ``pkg/apis/core/v1/helper/qos`` (ComputePodQOS) decides it.

Only cpu and memory count, and zero quantities are ignored:

- BestEffort: no container (app, init or sidecar) requests or limits any cpu or memory;
- Guaranteed: every container has non-zero cpu and memory limits, and the summed
  requests equal the summed limits for each of them;
- Burstable: anything else.

Which figures decide depends on the release (``PodLevelResources`` on, from 1.34):

- with ``PodLevelResourcesFixKubeletQOSClass`` (1.37 on): ``spec.resources`` alone decides,
  the same way, when it sets cpu, memory or hugepages (``IsPodLevelResourcesSet``); an
  empty one (``{}``, ``requests: {}``, ``limits: {}``) leaves the containers to decide;
- before it (1.34 to 1.36): any ``spec.resources`` present decides alone, so an empty one
  makes every pod BestEffort, whatever its containers set (kubernetes#135082).

Sources: ``pkg/apis/core/helper/qos/qos.go`` at v1.36 and v1.37, kubectl's copy
``pkg/util/qos/qos.go`` (kubernetes#137150), KEP-2837 "QoS Changes".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from calc.effective import pod_level_resources_set
from calc.pod import Container, PodResources, PodSpec
from calc.resources import CPU, MEMORY
from calc.versions import DEFAULT_FEATURES, Features

QOS_RESOURCES = (CPU, MEMORY)


class QOSClass(enum.Enum):
    GUARANTEED = "Guaranteed"
    BURSTABLE = "Burstable"
    BEST_EFFORT = "BestEffort"


def _qos_figures(holders: Iterable[Container | PodResources]) -> tuple[tuple[int, int], tuple[int, int], bool]:
    """The sums of the non-zero cpu and memory requests, and of the limits, in nanos
    (``processResourceList``), and whether every holder limits both (non-zero)."""
    cpu = memory = cpu_limit = memory_limit = 0
    limited = True
    for holder in holders:
        requests, limits = holder.requests, holder.limits
        q = requests.get(CPU)
        if q is not None and q.nanos > 0:
            cpu += q.nanos
        q = requests.get(MEMORY)
        if q is not None and q.nanos > 0:
            memory += q.nanos
        q = limits.get(CPU)
        if q is not None and q.nanos > 0:
            cpu_limit += q.nanos
        else:
            limited = False
        q = limits.get(MEMORY)
        if q is not None and q.nanos > 0:
            memory_limit += q.nanos
        else:
            limited = False
    return (cpu, memory), (cpu_limit, memory_limit), limited


def pod_level_decides_qos(spec: PodSpec, f: Features = DEFAULT_FEATURES) -> bool:
    """Whether ``spec.resources`` alone decides the QoS class (``ComputePodQOS``'s first branch).

    PodLevelResources on and ``spec.resources != nil``; with PodLevelResourcesFixKubeletQOSClass
    it must also set a supported resource (``IsPodLevelResourcesSet``), so an empty one no
    longer hides the containers.
    """
    if spec.resources is None or not f.pod_level_resources:
        return False
    return pod_level_resources_set(spec) if f.pod_level_resources_fix_kubelet_qos_class else True


def pod_qos(spec: PodSpec, f: Features = DEFAULT_FEATURES) -> QOSClass:
    """ComputePodQOS on a defaulted pod, as release ``f`` computes it."""
    holders: Iterable[Container | PodResources] = spec.all_containers
    if spec.resources is not None and pod_level_decides_qos(spec, f):
        # Kubernetes also asks that pod-level limits be non-empty to be Guaranteed: with
        # none, the limit sums are zero, so the pod is BestEffort or its requests differ.
        holders = (spec.resources,)
    requests, limits, limited = _qos_figures(holders)
    if requests == limits == (0, 0):
        return QOSClass.BEST_EFFORT
    if limited and requests == limits:
        return QOSClass.GUARANTEED
    return QOSClass.BURSTABLE
