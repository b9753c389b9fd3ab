"""The pod model: only what resource accounting needs, as immutable values.

A ``ResourceList`` maps a resource name (``cpu``, ``memory``, ``nvidia.com/gpu``) to a
quantity. Values of this module are never mutated: defaulting returns new ones.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from calc.errors import Path
from calc.quantity import Quantity

ResourceList = Mapping[str, Quantity]


class ContainerType(enum.Enum):
    """Where a container is declared, and so how it runs."""

    CONTAINER = "container"  # spec.containers: runs for the pod's life
    INIT = "initContainer"  # spec.initContainers: runs to completion, one at a time
    SIDECAR = "sidecar"  # spec.initContainers with restartPolicy Always: starts in order, keeps running


@dataclass(frozen=True, slots=True)
class Container:
    """One container's name, kind, position and resources."""

    name: str
    type: ContainerType
    index: int  # position in spec.containers or spec.initContainers
    requests: ResourceList = field(default_factory=dict)
    limits: ResourceList = field(default_factory=dict)

    @property
    def path(self) -> Path:
        """Where the container stands in the PodSpec."""
        return ("containers" if self.type is ContainerType.CONTAINER else "initContainers", self.index)


@dataclass(frozen=True, slots=True)
class PodResources:
    """Pod-level ``spec.resources`` (KEP-2837)."""

    requests: ResourceList = field(default_factory=dict)
    limits: ResourceList = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PodSpec:
    """The resource-relevant part of a PodSpec."""

    containers: tuple[Container, ...]
    init_containers: tuple[Container, ...] = ()  # regular init containers and sidecars, in order
    overhead: ResourceList = field(default_factory=dict)
    resources: PodResources | None = None  # spec.resources; None when absent
    runtime_class_name: str | None = None  # spec.runtimeClassName: its RuntimeClass may set the overhead
    # what quota scopes and node fit look at
    active_deadline_seconds: int | None = None  # spec.activeDeadlineSeconds: >= 0 makes the pod Terminating
    priority_class_name: str | None = None  # spec.priorityClassName
    node_name: str | None = None  # spec.nodeName: a pod already bound to a node
    cross_namespace_affinity: bool = False  # a pod (anti-)affinity term names namespaces or a namespaceSelector

    @property
    def all_containers(self) -> tuple[Container, ...]:
        """App containers then init containers, the order of Kubernetes' QoS helper."""
        return self.containers + self.init_containers
