"""Admission that changes a pod's resources before it is stored.

RuntimeClass (``plugin/pkg/admission/runtimeclass``): a pod that names a RuntimeClass with
``overhead.podFixed`` gets that overhead as ``spec.overhead``; a pod whose own overhead
differs from its RuntimeClass's is rejected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from calc.errors import Violation
from calc.pod import PodSpec, ResourceList


def apply_runtime_class(spec: PodSpec, classes: Mapping[str, ResourceList | None]) -> PodSpec | list[Violation]:
    """``spec`` with its RuntimeClass's overhead, or why admission rejects it.

    ``classes`` maps RuntimeClass names to their ``overhead.podFixed`` (None: no overhead).
    A RuntimeClass that is not in ``classes`` leaves the pod as written.
    """
    name = spec.runtime_class_name
    if name is None or name not in classes:
        return spec
    fixed = classes[name]
    if fixed is None:
        if spec.overhead:
            return [
                Violation(
                    ("overhead",), "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"
                )
            ]
        return spec
    if not spec.overhead:
        return dataclasses.replace(spec, overhead=dict(fixed))
    if dict(spec.overhead) != dict(fixed):
        return [Violation(("overhead",), "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead")]
    return spec
