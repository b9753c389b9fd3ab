"""One call from a pod as written to everything Kubernetes will see of its resources."""

from __future__ import annotations

from dataclasses import dataclass

from calc.defaults import Defaulted, apply_defaults
from calc.effective import (
    DEFAULT_OPTIONS,
    Phase,
    PodResourcesOptions,
    aggregate,
    effective_limits,
    effective_requests,
    limits_of,
    phase_use,
    phases,
    pod_unbounded_limits,
    requests_of,
)
from calc.pod import PodSpec, ResourceList
from calc.qos import QOSClass, pod_qos
from calc.validation import validate


@dataclass(frozen=True, slots=True)
class PodEvaluation:
    """The effective figures of a pod, and how they were reached."""

    defaulted: Defaulted  # the pod as the API server stores it, and what defaulting filled in
    requests: ResourceList  # PodRequests: what the scheduler and quota count
    limits: ResourceList  # PodLimits: declared limits only
    unbounded_limits: tuple[str, ...]  # resources some container may use without limit
    qos_class: QOSClass
    phases: tuple[Phase, ...]  # each init step, then running
    requests_set_by: dict[str, str]  # resource -> phase id, "podResources" or "overhead"
    limits_set_by: dict[str, str]

    @property
    def spec(self) -> PodSpec:
        return self.defaulted.spec


def evaluate_pod(spec: PodSpec, options: PodResourcesOptions = DEFAULT_OPTIONS) -> PodEvaluation:
    """Default, validate and compute ``spec`` as the API server, scheduler and kubelet do.

    Raises ``PodInvalidError`` with every violation when the API server would reject it.
    """
    defaulted = apply_defaults(spec)
    pod = defaulted.spec
    validate(pod)
    request_steps, limit_steps = phase_use(pod, requests_of), phase_use(pod, limits_of)
    requests = effective_requests(pod, options, aggregate(pod, requests_of, request_steps))
    limits = effective_limits(pod, options, aggregate(pod, limits_of, limit_steps))
    return PodEvaluation(
        defaulted=defaulted,
        requests=requests.totals,
        limits=limits.totals,
        unbounded_limits=pod_unbounded_limits(pod),
        qos_class=pod_qos(pod),
        phases=tuple(phases(pod, request_steps, limit_steps)),
        requests_set_by=requests.set_by,
        limits_set_by=limits.set_by,
    )
