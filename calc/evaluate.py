"""One call from a pod as written to everything Kubernetes will see of its resources."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from calc.defaults import Defaulted, decode_defaults, pod_level_defaults
from calc.effective import (
    DEFAULT_OPTIONS,
    Phase,
    PodResourcesOptions,
    effective_limits,
    effective_requests,
    life,
    pod_unbounded_limits,
)
from calc.errors import PodInvalidError, Violation
from calc.limitrange import Filled, LimitRange, LimitViolation
from calc.limitrange import apply_defaults as apply_limit_range
from calc.limitrange import check as check_limit_ranges
from calc.pod import PodSpec, ResourceList
from calc.qos import QOSClass, pod_qos
from calc.validation import validate
from calc.versions import DEFAULT_FEATURES, Features


class PodEvaluation(NamedTuple):
    """The effective figures of a pod, and how they were reached."""

    defaulted: Defaulted  # the pod as the API server stores it, and what defaulting filled in
    requests: ResourceList  # PodRequests: what the scheduler and quota count
    limits: ResourceList  # PodLimits: declared limits only
    unbounded_limits: tuple[str, ...]  # resources some container may use without limit
    qos_class: QOSClass
    phases: tuple[Phase, ...]  # each init step, then running
    requests_set_by: dict[str, str]  # resource -> phase id, "podResources" or "overhead"
    limits_set_by: dict[str, str]
    limit_range_filled: tuple[Filled, ...] = ()  # what LimitRange defaults set
    limit_violations: tuple[LimitViolation, ...] = ()  # LimitRange rules broken: admission refuses the pod

    @property
    def spec(self) -> PodSpec:
        return self.defaulted.spec


class LimitRangeConflictError(PodInvalidError):
    """A pod valid as written that LimitRange defaults make invalid (a default limit below
    its request): the API server refuses it after admission."""

    def __init__(self, violations: list[Violation], filled: Sequence[Filled]) -> None:
        super().__init__(violations)
        self.filled = tuple(filled)


def evaluate_pod(
    spec: PodSpec,
    options: PodResourcesOptions = DEFAULT_OPTIONS,
    limit_ranges: Sequence[LimitRange] = (),
    features: Features = DEFAULT_FEATURES,
) -> PodEvaluation:
    """Default, admit, validate and compute ``spec`` as the API server, scheduler and kubelet
    of release ``features`` do (default: the current one; ``as_released`` shapes the spec).

    ``limit_ranges`` are those of the pod's namespace: their defaults fill the containers
    (after decoding's request-from-limit), and the rules they break are recorded. From 1.37
    (PodLevelResourcesFixDefaulting) the pod-level defaults follow admission, so they count
    what LimitRanger filled; before, they were set at decoding, from the pod as written.
    Raises ``PodInvalidError`` with every violation when the API server would reject it
    (``LimitRangeConflictError`` when only the LimitRange defaults make it invalid).
    """
    decoded = decode_defaults(spec, features)
    defaulted = pod_level_defaults(decoded, features)
    pod = defaulted.spec
    validate(pod)
    filled: list[Filled] = []
    if limit_ranges:
        admitted, filled = apply_limit_range(decoded.spec, limit_ranges)
        if filled:
            defaulted = pod_level_defaults(decoded._replace(spec=admitted), features)
            pod = defaulted.spec
            try:
                validate(pod)
            except PodInvalidError as err:
                raise LimitRangeConflictError(err.violations, filled) from err
    steps = life(pod)
    requests = effective_requests(pod, options, steps.requests)
    limits = effective_limits(pod, options, steps.limits)
    return PodEvaluation(
        defaulted=defaulted,
        requests=requests.totals,
        limits=limits.totals,
        unbounded_limits=pod_unbounded_limits(pod, steps),
        qos_class=pod_qos(pod, features),
        phases=steps.phases,
        requests_set_by=requests.set_by,
        limits_set_by=limits.set_by,
        limit_range_filled=tuple(filled),
        limit_violations=tuple(check_limit_ranges(pod, limit_ranges)) if limit_ranges else (),
    )
