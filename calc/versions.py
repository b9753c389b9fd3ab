"""Computing as a given Kubernetes version would: the feature gates that change the figures.

| gate | alpha (off) | beta (on by default) | GA | what it changes | source |
| --- | --- | --- | --- | --- | --- |
| ``SidecarContainers`` | 1.28 | 1.29 | 1.33 | init containers with ``restartPolicy: Always`` are sidecars | KEP-753 |
| ``PodLevelResources`` | 1.32 | 1.34 | | ``spec.resources`` sets the pod's figures | KEP-2837 |
| ``PodLevelResourcesFixDefaulting`` | | 1.37 | | pod-level limits default from containers' | #136120 |
| ``PodLevelResourcesFixKubeletQOSClass`` | | 1.37 | | empty ``spec.resources``: containers decide QoS | #135082 |

A release where a gate is off (alpha, or before the field existed) has the API server drop
the field (``dropDisabledFields``): a sidecar is then a regular init container that runs
to completion, and pod-level resources are ignored. Versions before 1.24 (where Pod
Overhead went GA) are not modelled.

The two ``PodLevelResourcesFix*`` gates are bug fixes of KEP-2837 (kubernetes issues #136120
and #135082), both introduced as beta (on by default) and both depending on
``PodLevelResources``. The KEP scoped them for 1.36 (the defaulting one under the name
``PodLevelResourcesFixUpdateDefaulting``), but they shipped in 1.37: the
``pkg/features/kube_features.go`` of v1.36.3 has neither gate, kubectl v0.36's
``ComputePodQOS`` still lets an empty ``spec.resources`` decide (the fix, kubernetes#137150,
is first in v1.37.0-beta.0), and the defaulting fix merged in July 2026 (kubernetes#140514)
as ``PodLevelResourcesFixDefaulting``. What they change is in ``calc.defaults``
(``pod_level_defaults``) and ``calc.qos`` (``pod_qos``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from calc.errors import CalcError
from calc.pod import Container, ContainerType, PodSpec

OLDEST = (1, 24)
CURRENT = (1, 37)  # the newest release modelled
POD_LEVEL_FIXES = (1, 37)  # PodLevelResourcesFixDefaulting and PodLevelResourcesFixKubeletQOSClass: beta (on)
_VERSION = re.compile(r"v?(?P<major>1)\.(?P<minor>[0-9]{1,3})(?:\.[0-9]{1,3})?")


class VersionError(ValueError, CalcError):
    """A Kubernetes version podcalc cannot compute as."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"kubernetes version {text!r}: {reason}")
        self.text = text


@dataclass(frozen=True, slots=True)
class Features:
    """The gates that decide the figures, as a release enables them by default."""

    version: tuple[int, int]
    sidecar_containers: bool  # SidecarContainers: beta (on) from 1.29
    pod_level_resources: bool  # PodLevelResources: beta (on) from 1.34
    # PodLevelResourcesFixDefaulting: beta (on) from 1.37; pod-level limits default from the
    # containers', and the pod-level defaults are set after admission (PrepareForCreate)
    pod_level_resources_fix_defaulting: bool = False
    # PodLevelResourcesFixKubeletQOSClass: beta (on) from 1.37; only a spec.resources that
    # sets a supported resource decides the QoS class
    pod_level_resources_fix_kubelet_qos_class: bool = False

    @property
    def name(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"


def parse_version(text: str) -> tuple[int, int]:
    """``1.29``, ``v1.29`` or ``1.29.3`` -> (1, 29), within the modelled range."""
    m = _VERSION.fullmatch(text.strip())
    if m is None:
        raise VersionError(text, "expected a release such as 1.29 or v1.29.3")
    version = (int(m["major"]), int(m["minor"]))
    if version < OLDEST:
        raise VersionError(text, f"releases before {OLDEST[0]}.{OLDEST[1]} are not modelled")
    if version > CURRENT:
        raise VersionError(text, f"the newest release podcalc knows is {CURRENT[0]}.{CURRENT[1]}")
    return version


def features(version: tuple[int, int] = CURRENT) -> Features:
    """The gates ``version`` enables by default (the fixes depend on PodLevelResources)."""
    pod_level = version >= (1, 34)
    fixes = pod_level and version >= POD_LEVEL_FIXES
    return Features(
        version,
        sidecar_containers=version >= (1, 29),
        pod_level_resources=pod_level,
        pod_level_resources_fix_defaulting=fixes,
        pod_level_resources_fix_kubelet_qos_class=fixes,
    )


DEFAULT_FEATURES = features()


def as_released(spec: PodSpec, f: Features) -> tuple[PodSpec, list[str]]:
    """``spec`` as the API server of that release stores it, and what was dropped: a field
    whose feature gate is off is dropped on create (``pkg/api/pod`` ``dropDisabledFields``):
    ``restartPolicy`` of init containers before SidecarContainers, ``spec.resources`` before
    PodLevelResources."""
    notes: list[str] = []
    if not f.sidecar_containers and any(c.type is ContainerType.SIDECAR for c in spec.init_containers):
        names = [c.name for c in spec.init_containers if c.type is ContainerType.SIDECAR]
        notes.append(
            f"Kubernetes {f.name} has no sidecar containers (SidecarContainers is on from 1.29): "
            f"restartPolicy is dropped, so these are regular init containers: {', '.join(names)}"
        )
        spec = dataclasses.replace(spec, init_containers=tuple(map(_as_init, spec.init_containers)))
    if not f.pod_level_resources and spec.resources is not None:
        notes.append(
            f"Kubernetes {f.name} has no pod-level resources (PodLevelResources is on from 1.34): "
            "spec.resources is dropped"
        )
        spec = dataclasses.replace(spec, resources=None)
    return spec, notes


def _as_init(c: Container) -> Container:
    return dataclasses.replace(c, type=ContainerType.INIT) if c.type is ContainerType.SIDECAR else c
