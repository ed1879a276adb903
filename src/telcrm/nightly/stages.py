"""The run's stages as the operator watches them: a progress bar on a terminal, one line
per finished stage with its seconds and row counts, and the same figures kept for the
run's record (``NightlyRun.stage_seconds`` and ``counts``), so a slow night can be traced
to its stage afterwards (issue 3: "A progress display shows each stage")."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import TextIOBase

from django.core.management.base import OutputWrapper
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

STAGES = ("snapshot", "features", "tiers", "warnings", "values", "scores", "write")


class _Verbatim:
    """A command's output for rich: Django's ``OutputWrapper`` ends every write with a
    newline, which would put each redraw of the progress bar on a line of its own."""

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out

    def write(self, text: str) -> int:
        self.out.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return self.out.isatty()


class StageClock:
    """Times each stage and collects its counts; ``on_start`` is told each stage's name
    as it begins (the run's record keeps the stage a failure happened in)."""

    def __init__(self, *, out: TextIOBase | None = None, live: bool = True,
                 on_start: Callable[[str], None] | None = None) -> None:
        file = _Verbatim(out) if isinstance(out, OutputWrapper) else out
        self.console = Console(file=file, highlight=False, soft_wrap=True)  # type: ignore[arg-type]
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description:<10}"), BarColumn(),
            TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
            console=self.console, disable=not (live and self.console.is_terminal),
        )
        self.task = self.progress.add_task("nightly", total=len(STAGES))
        self.on_start = on_start
        self.seconds: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def __enter__(self) -> StageClock:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, int]]:
        """Run one stage; the caller puts its row counts into the yielded dict."""
        self.progress.update(self.task, description=name)
        if self.on_start is not None:
            self.on_start(name)
        counts: dict[str, int] = {}
        started = time.perf_counter()
        yield counts
        elapsed = time.perf_counter() - started
        self.seconds[name] = round(elapsed, 3)
        self.counts.update(counts)
        shown = ", ".join(f"{key} {value:,}" for key, value in counts.items())
        self.console.print(f"{name:<10} {elapsed:7.1f} s  {shown}")
        self.progress.advance(self.task)
