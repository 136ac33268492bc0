"""Progress bars for long commands: on stderr, and only when stderr is a terminal."""
from __future__ import annotations

import sys
from contextlib import ExitStack, contextmanager
from typing import Callable, Iterator

import click


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A function `show(done, total)` that draws a bar on stderr when stderr is a terminal. Otherwise nothing
    is written at all, so what scripts read (stdout, a piped stderr) stays as it was."""
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    with ExitStack() as stack:
        bars: list = []

        def show(done: int, total: int) -> None:
            if not bars:  # the total is known only once the work starts
                bars.append(stack.enter_context(click.progressbar(length=max(total, 1), label=label, file=sys.stderr,
                                                                  show_pos=True, show_eta=True)))
            bars[0].update(done - bars[0].pos)

        yield show
