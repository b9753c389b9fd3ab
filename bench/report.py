"""The figures of a benchmark run: its rows and the notes under them, how a case is timed
against its baseline, and when a run's machine was too busy to trust."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple


class Row(NamedTuple):
    """One line of the results table."""

    name: str
    ours: str
    baseline: str
    ratio: str
    target: str = ""
    met: bool | None = None  # None: the row has no target


RESULTS: list[Row] = []
NOTES: list[str] = []  # printed under the table


def record(row: Row) -> None:
    RESULTS.append(row)
    print(f"  {' | '.join(markdown_cells(row))}", flush=True)


def markdown_cells(row: Row) -> list[str]:
    verdict = "" if row.met is None else ("met" if row.met else "**missed**")
    return [row.name, row.ours, row.baseline, row.ratio, row.target, verdict]


def markdown_table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table, as docs/performance.md shows them."""
    lines = [
        "| benchmark | podcalc | baseline (same run) | ratio | target | status |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(markdown_cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def speed(ours: float, theirs: float) -> str:
    """How much faster (or slower) ours is, to two decimals: at one, "1.0x faster" could
    hide a loss of 4%."""
    if ours < theirs:
        return f"{theirs / ours:.2f}x faster"
    return f"{ours / theirs:.2f}x slower" if ours > theirs else "even"


# Timing ------------------------------------------------------------------------------------


def best(
    cases: Mapping[str, Callable[[], object]],
    rounds: int = 5,
    clock: Callable[[], float] = time.perf_counter,
    between: Callable[[], object] = lambda: None,
) -> dict[str, float]:
    """The best time of each case over ``rounds`` rounds, the cases taken in turn in each round.

    This shared machine has slow spells of several seconds: taken in turn, a spell slows a
    case and its baseline alike, where timed one after the other it could fall on one side
    only. ``between`` runs before each case, untimed: ``settle`` lets a server finish
    freeing the last request's objects, which would otherwise take the cores from the next
    case. The garbage collector is off while a case runs, as timeit has it: a baseline
    parsed in this process is timed without the collector's passes, which the server and
    the CLI, with their own settings, pay for in their figures.
    """
    times = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, fn in cases.items():
            between()
            gc.collect()
            gc.disable()
            try:
                start = clock()
                fn()
                times[name] = min(times[name], clock() - start)
            finally:
                gc.enable()
    return times


def medians(runs: Sequence[Sequence[float]]) -> list[float]:
    """Each figure's median over the runs (runs of equal length: req/s, p50, p99, ...)."""
    return [statistics.median(figure) for figure in zip(*runs, strict=True)]


# Noise ------------------------------------------------------------------------------------

NOISY_CORES = 0.2  # other processes' load during one of a cycle's HTTP runs past which the cycle is suspect


def note_load(section: str, cores: float) -> None:
    """A line under the table: how busy other processes kept the machine (``cores``, as
    ``bench.load.OtherLoad`` reads it) during ``section``."""
    NOTES.append(
        f"{section}: other processes kept {cores:.2f} cores busy"
        + (f" (past {NOISY_CORES}: noisy, run it again)" if cores > NOISY_CORES else "")
    )


def keep_run(others: float, attempts_left: int, cycles_needed: int) -> bool:
    """Whether to keep a cycle of HTTP runs during which other processes kept ``others`` cores
    busy: a noisy cycle is measured again while the attempts left cover the cycles still
    needed (counting this one)."""
    return others <= NOISY_CORES or attempts_left < cycles_needed
