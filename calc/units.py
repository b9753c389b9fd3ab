"""Unit-aware amounts (``1.5 GiB``, ``250 millicores``, ``0.5 vCPU``) through pint.

pint does not know Kubernetes' suffixes (to pint, ``500m`` is 500 metres), so the
Kubernetes grammar is parsed in ``calc.quantity`` and only unit expressions reach pint.
The registry is this project's one registry: built once, on first use, from the few
definitions below rather than pint's slow-to-load default file, with ``non_int_type=Fraction``
so that every conversion is exact. Bytes and cores get dimensions of their own, so that
``2 GiB`` given for cpu is refused rather than silently read as a number.

Only ``<number> <unit name>`` is accepted: pint's expression language also has ``**``,
and ``10**10**10 B`` must not reach it. Units of bits (``b``, ``Mb``, ``Kib``, ``megabits``,
...) are refused: Kubernetes counts bytes, and ``memory: 512Mb`` is almost always a mistyped
``512Mi`` or ``512M``, which a silent division by 8 would turn into a confident wrong figure.
"""

from __future__ import annotations

import enum
import re
from fractions import Fraction
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from calc.errors import BitsError, DimensionError, QuantityError
from calc.quantity import MAX_LENGTH, MAX_NANOS, MAX_VALUE, NANO, Format, Quantity, round_away


class Dimension(enum.Enum):
    """What a resource's quantities measure, and the base unit they are counted in."""

    BYTES = "bytes"
    CORES = "cores"
    COUNT = "count"


if TYPE_CHECKING:
    import pint

_PINT_DIMENSION = {"[information]": Dimension.BYTES, "[cpu]": Dimension.CORES}

_DEFINITIONS = """
nano- = 1/1000000000 = n-
micro- = 1/1000000 = u- = µ-
milli- = 1/1000 = m-
kilo- = 1000 = k- = K-
mega- = 1000000 = M-
giga- = 1000000000 = G-
tera- = 1000000000000 = T-
peta- = 1000000000000000 = P-
exa- = 1000000000000000000 = E-
kibi- = 1024 = Ki-
mebi- = 1048576 = Mi-
gibi- = 1073741824 = Gi-
tebi- = 1099511627776 = Ti-
pebi- = 1125899906842624 = Pi-
exbi- = 1152921504606846976 = Ei-
byte = [information] = B = bytes
bit = byte / 8 = b = bits
core = [cpu] = _ = cores = cpu = cpus = CPU = CPUs = vCPU = vCPUs = vcpu = vcpus
count = [] = _ = counts
"""

_UNIT_NAME = re.compile(r"[A-Za-zµ]{1,32}")
_EXPRESSION = re.compile(
    r"""
    (?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))  # 1, 1.5, .5, 2. (one way to match each)
    (?:[eE](?P<exp>[+-]?[0-9]{1,3}))?               # an optional short exponent
    \s*
    (?P<unit>[A-Za-zµ]{1,32})                       # one unit name, prefix included
    """,
    re.VERBOSE,
)


@cache
def registry() -> pint.UnitRegistry[Fraction]:
    """The one unit registry of podcalc; pint itself is imported on first use, so that a CLI
    run without unit expressions does not pay for the import."""
    import pint

    ureg: pint.UnitRegistry[Fraction] = pint.UnitRegistry(None, non_int_type=Fraction)
    for line in _DEFINITIONS.strip().splitlines():
        ureg.define(line)
    return ureg


# pint's prefix names -> the Kubernetes suffix of the same factor (bits: what to write instead)
_SUFFIX_OF_PREFIX = {
    "kilo": "k",
    "mega": "M",
    "giga": "G",
    "tera": "T",
    "peta": "P",
    "exa": "E",
    "kibi": "Ki",
    "mebi": "Mi",
    "gibi": "Gi",
    "tebi": "Ti",
    "pebi": "Pi",
    "exbi": "Ei",
}


def byte_spellings(number: str, prefix: str) -> str:
    """What to write for ``<number> <prefix>bit`` in Kubernetes' grammar, binary suffix first
    (``512Mb`` -> ``512Mi or 512M``: memory is mostly sized in binary units); never number / 8."""
    suffix = _SUFFIX_OF_PREFIX.get(prefix)
    if suffix is None:
        return f"{number} (bytes)"
    if suffix.endswith("i"):
        return f"{number}{suffix}"
    return f"{number}{'Ki' if suffix == 'k' else suffix + 'i'} or {number}{suffix}"


@lru_cache(maxsize=512)
def unit_factor(unit: str) -> tuple[Fraction, Dimension]:
    """How many base units (bytes, cores, counts) one ``unit`` is, and its dimension.

    Raises ``BitsError`` for a unit of bits: Kubernetes quantities are bytes (the API server
    refuses ``512Mb``), so a bit is never silently read as an eighth of a byte.
    """
    if not _UNIT_NAME.fullmatch(unit.strip()):
        # pint would evaluate an expression such as 10**10**10 or 1/0: only names reach it
        raise QuantityError(unit[:40], "a unit is a single name such as B, GiB, MB, cores or millicores")
    ureg = registry()
    import pint

    try:
        parsed = ureg.Quantity(1, ureg.parse_units(unit.strip()))
        base = parsed.to_base_units()
    except (pint.errors.PintError, AttributeError, ValueError, TypeError) as err:
        raise QuantityError(unit, "unknown unit (try B, KiB, MiB, GiB, kB, MB, GB, cores, millicores, vCPU)") from err
    name = str(parsed.units)
    if name.endswith("bit"):
        prefix = name[: -len("bit")]
        spelled = " or ".join(f"{s}B" for s in byte_spellings("", prefix).split(" or ")) if prefix else "B"
        raise BitsError(unit, f"a unit of bits ({name}); Kubernetes counts bytes: use {spelled}", prefix)
    dims = dict(base.dimensionality)
    if not dims:
        return Fraction(base.magnitude), Dimension.COUNT
    if len(dims) != 1 or next(iter(dims.values())) != 1:
        raise QuantityError(unit, "a unit of bytes, cores or a plain count is expected")
    return Fraction(base.magnitude), _PINT_DIMENSION[next(iter(dims))]


def is_unit_expression(text: str) -> bool:
    """Whether ``text`` has the shape ``<number> <unit name>`` (the unit may still be unknown)."""
    return len(text) <= MAX_LENGTH and _EXPRESSION.fullmatch(text.strip()) is not None


def parse_amount(text: str, dimension: Dimension | None, resource: str | None = None) -> tuple[Quantity, Dimension]:
    """Parse a unit expression such as ``1.5 GiB`` into a quantity of its base unit.

    ``dimension`` is what ``resource`` measures; None accepts any. Byte amounts in a
    binary unit (KiB, GiB, ...) keep the binary format, so ``1.5 GiB`` prints ``1536Mi``.
    """
    m = _EXPRESSION.fullmatch(text.strip()) if len(text) <= MAX_LENGTH else None
    if m is None:
        raise QuantityError(
            text,
            "not a Kubernetes quantity (e.g. '500m', '1.5Gi', '2', '1e3') "
            "nor a unit expression (e.g. '1.5 GiB', '250 millicores', '0.5 vCPU')",
        )
    try:
        factor, found = unit_factor(m["unit"])
    except BitsError as err:
        number = m["number"] + (f"e{m['exp']}" if m["exp"] else "")
        spelled = byte_spellings(number, err.prefix)
        raise BitsError(
            text, f"{m['unit']!r} is a unit of bits; Kubernetes counts bytes: write {spelled}", err.prefix
        ) from err
    except QuantityError as err:
        raise QuantityError(text, err.reason) from err
    if dimension is not None and found is not dimension:
        raise DimensionError(
            text, f"is an amount of {found.value}, but {resource or 'this resource'} takes {dimension.value}"
        )
    number = Fraction(m["number"]) * Fraction(10) ** int(m["exp"] or 0)
    nanos = round_away(number * factor * NANO, 1)
    if abs(nanos) > MAX_NANOS:
        raise QuantityError(text, f"larger than the largest quantity Kubernetes stores ({MAX_VALUE})")
    binary = found is Dimension.BYTES and factor >= 1024 and (factor.numerator & (factor.numerator - 1)) == 0
    return Quantity(nanos, Format.BINARY_SI if binary else Format.DECIMAL_SI), found


def convert(q: Quantity, unit: str, dimension: Dimension | None) -> Fraction:
    """The exact value of ``q`` expressed in ``unit`` (``1536Mi`` in ``GiB`` is 3/2)."""
    factor, found = unit_factor(unit)
    if dimension is not None and found is not dimension:
        raise DimensionError(unit, f"is a unit of {found.value}, but this resource is counted in {dimension.value}")
    return q.value / factor
