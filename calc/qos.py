"""A pod's QoS class, as ``pkg/apis/core/v1/helper/qos`` (ComputePodQOS) decides it.

Only cpu and memory count, and zero quantities are ignored:

- BestEffort: no container (app, init or sidecar) requests or limits any cpu or memory;
- Guaranteed: every container has non-zero cpu and memory limits, and the summed
  requests equal the summed limits for each of them;
- Burstable: anything else.

When pod-level ``spec.resources`` sets cpu, memory or hugepages, it alone decides, the
same way (with ``PodLevelResourcesFixKubeletQOSClass``, on in current releases; before
it, a present but empty ``spec.resources`` made any pod BestEffort).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from calc.effective import pod_level_resources_set
from calc.pod import Container, PodResources, PodSpec
from calc.resources import CPU, MEMORY

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


def pod_qos(spec: PodSpec) -> QOSClass:
    """ComputePodQOS on a defaulted pod."""
    holders: Iterable[Container | PodResources] = spec.all_containers
    if spec.resources is not None and pod_level_resources_set(spec):
        # Kubernetes also asks that pod-level limits be non-empty to be Guaranteed: with
        # none, the limit sums are zero, so the pod is BestEffort or its requests differ.
        holders = (spec.resources,)
    requests, limits, limited = _qos_figures(holders)
    if requests == limits == (0, 0):
        return QOSClass.BEST_EFFORT
    if limited and requests == limits:
        return QOSClass.GUARANTEED
    return QOSClass.BURSTABLE
