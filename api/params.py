"""The query parameters of the stream operations, read by marshmallow schemas.

A schema reads every parameter at once; its refusals are kept and raised, as
``podcalc.effective.parameter_error``, where the caller checks them (``Params.checked``), so a
request with several bad parameters is answered about the one checked first. Unknown
parameters are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load

from podcalc.effective import parameter_error
from podcalc.errors import ParameterError

__all__ = ["QUERY", "STREAM", "Params", "load"]


class Nodes(fields.Field[int]):
    """``nodes``: a whole number of nodes, at most 9 digits."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> int:
        if not (value.isascii() and value.isdigit()) or len(value) > 9:
            raise ValidationError(f"must be a whole number of nodes, not {value!r}")
        return int(value)


_UNIT_KEY = re.compile(r"unit(?:\[(?P<bracket>[^\]]+)\]|\.(?P<dot>.+))")


class Units(fields.Field[dict[str, str]]):
    """``unit[memory]=GiB`` (OpenAPI deepObject) or ``unit.memory=GiB``, gathered by key: resource -> unit."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> dict[str, str]:
        units = {}
        for key, unit in value.items():
            m = _UNIT_KEY.fullmatch(key)
            assert m is not None  # gathered by UnitsSchema
            resource = m["bracket"] or m["dot"]
            if len(resource) > 64 or not 0 < len(unit) <= 32:
                raise ValidationError({key: "a resource name of at most 64 characters and a unit of 1 to 32"})
            units[resource] = unit
        if len(units) > 8:
            raise ValidationError(f"at most 8 resources, not {len(units)}")
        return units


class Flag(fields.Field[bool]):
    """``true`` or ``false``."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if value not in ("true", "false"):
            raise ValidationError(f"must be true or false, not {value!r}")
        return bool(value == "true")


class QuerySchema(Schema):
    """The parameters every stream operation takes, loaded as the use cases' keyword arguments."""

    class Meta:
        unknown = EXCLUDE

    nodes = Nodes(load_default=None)
    units = Units(data_key="unit")  # always given: see _gather_units
    kubernetes_version = fields.String(data_key="kubernetesVersion", load_default=None)

    @pre_load
    def _gather_units(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """The ``unit[...]`` and ``unit.…`` parameters as one ``unit`` mapping (a plain ``unit`` is ignored)."""
        return data | {"unit": {key: value for key, value in data.items() if _UNIT_KEY.fullmatch(key)}}


class StreamSchema(QuerySchema):
    """The parameters of the operations that read a stream from the body: also ``explain``."""

    explain = Flag(load_default=False)


QUERY, STREAM = QuerySchema(), StreamSchema()


@dataclass(frozen=True, slots=True)
class Params:
    """The parameters a schema read, and its refusals by parameter."""

    values: dict[str, Any]
    errors: dict[str, Any]

    def checked(self, *names: str) -> dict[str, Any]:
        """The values, once the parameters ``names`` are known valid; else the first one's refusal."""
        for name in names:
            if name in self.errors:
                raise _refusal(name, self.errors[name])
        return self.values


def load(schema: Schema, args: Mapping[str, str]) -> Params:
    """The query's parameters (the first value of each) read by ``schema``; a query without
    parameters (most requests) takes the schema's defaults, read once."""
    if not args:
        return Params(dict(_defaults(schema)), {})
    try:
        return Params(schema.load(args), {})
    except ValidationError as err:  # a schema's refusals and what it read: mappings by parameter
        return Params(cast("dict[str, Any]", err.valid_data), cast("dict[str, Any]", err.messages))


@cache
def _defaults(schema: Schema) -> dict[str, Any]:
    """What ``schema`` loads from an empty query: each parameter's default."""
    return cast("dict[str, Any]", schema.load({}))


def _refusal(name: str, messages: Any) -> ParameterError:
    """A field's refusal, named by its parameter or by the exact key it gives (``{key: detail}``)."""
    if isinstance(messages, dict):
        ((name, messages),) = messages.items()
    return parameter_error(name, messages if isinstance(messages, str) else messages[0])
