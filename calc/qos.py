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
from calc.pod import PodSpec, ResourceList
from calc.resources import CPU, MEMORY

QOS_RESOURCES = (CPU, MEMORY)


class QOSClass(enum.Enum):
    GUARANTEED = "Guaranteed"
    BURSTABLE = "Burstable"
    BEST_EFFORT = "BestEffort"


def _qos_sum(lists: Iterable[ResourceList]) -> dict[str, int]:
    """Sum of the non-zero cpu and memory quantities, in nanos (``processResourceList``)."""
    cpu = memory = 0
    for resources in lists:
        q = resources.get(CPU)
        if q is not None and q.nanos > 0:
            cpu += q.nanos
        q = resources.get(MEMORY)
        if q is not None and q.nanos > 0:
            memory += q.nanos
    return {name: total for name, total in ((CPU, cpu), (MEMORY, memory)) if total}


def _has_qos_limits(limits: ResourceList) -> bool:
    cpu, memory = limits.get(CPU), limits.get(MEMORY)
    return cpu is not None and cpu.nanos > 0 and memory is not None and memory.nanos > 0


def pod_qos(spec: PodSpec) -> QOSClass:
    """ComputePodQOS on a defaulted pod."""
    if spec.resources is not None and pod_level_resources_set(spec):
        requests = _qos_sum([spec.resources.requests])
        limits = _qos_sum([spec.resources.limits])
        guaranteed = not spec.resources.limits or _has_qos_limits(spec.resources.limits)
    else:
        containers = spec.all_containers
        container_limits = [c.limits for c in containers]
        requests = _qos_sum([c.requests for c in containers])
        limits = _qos_sum(container_limits)
        guaranteed = all(map(_has_qos_limits, container_limits))
    if not requests and not limits:
        return QOSClass.BEST_EFFORT
    if guaranteed and requests == limits:
        return QOSClass.GUARANTEED
    return QOSClass.BURSTABLE
