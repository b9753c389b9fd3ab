"""Compact builders of calc pods for table tests: quantities written as Kubernetes strings."""

from __future__ import annotations

from dataclasses import dataclass, field

from calc.pod import Container, ContainerType, PodResources, PodSpec
from calc.quantity import Quantity, parse_quantity


@dataclass
class C:
    """A container: name, requests, limits, and whether it is a sidecar (init containers only)."""

    name: str
    requests: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)
    sidecar: bool = False


def quantities(resources: dict[str, str] | None) -> dict[str, Quantity]:
    return {name: parse_quantity(text) for name, text in (resources or {}).items()}


def spec(
    containers: list[C],
    init: list[C] | None = None,
    overhead: dict[str, str] | None = None,
    pod_requests: dict[str, str] | None = None,
    pod_limits: dict[str, str] | None = None,
) -> PodSpec:
    def build(c: C, index: int, kind: ContainerType) -> Container:
        return Container(c.name, kind, index, quantities(c.requests), quantities(c.limits))

    resources = None
    if pod_requests is not None or pod_limits is not None:
        resources = PodResources(quantities(pod_requests), quantities(pod_limits))
    return PodSpec(
        containers=tuple(build(c, i, ContainerType.CONTAINER) for i, c in enumerate(containers)),
        init_containers=tuple(
            build(c, i, ContainerType.SIDECAR if c.sidecar else ContainerType.INIT) for i, c in enumerate(init or [])
        ),
        overhead=quantities(overhead),
        resources=resources,
    )


def strings(resources: object) -> dict[str, str]:
    """A ResourceList as canonical strings, for comparing with the expected table values."""
    assert isinstance(resources, dict)
    return {name: str(q) for name, q in sorted(resources.items())}
