"""Terminal output for the headless commands: colour only on a TTY, errors as message + hint."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Collection, Sequence
from typing import TextIO

from foundry_tui import exitcodes
from foundry_tui.problem import Problem
from foundry_tui.safetext import terminal_line


def use_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def paint(text: str, code: str, stream: TextIO) -> str:
    """`code` is an SGR parameter such as "1;31"."""
    return f"\x1b[{code}m{text}\x1b[0m" if use_color(stream) else text


def print_problem(
    problem: Problem, *, stream: TextIO | None = None, label: str = "error:", context: str = "", indent: str = ""
) -> None:
    """The one shape every user-facing failure takes: the message, then the hint and the request ids.

    Args:
        problem: What went wrong; its message and hint may carry server text, so both are sanitized.
        stream: stderr unless given (a report such as `check` keeps its failures on stdout).
        label: What leads the message ("error:", "warning:"); empty to show the message alone, in red.
        context: Words put before the message ("not saved to the history").
        indent: For a problem listed under a report line.
    """
    stream = stream or sys.stderr  # looked up now: a default bound at import would miss redirection
    message = terminal_line(problem.summary())
    if context:
        message = f"{context}: {message}"
    headline = f"{paint(label, '1;31' if label == 'error:' else '33', stream)} {message}" if label else paint(message, "31", stream)
    print(f"{indent}{headline}", file=stream)
    if problem.hint:
        print(f"{indent}{paint('hint:', '33', stream)} {terminal_line(problem.hint)}", file=stream)
    if problem.ids():
        print(f"{indent}{paint(problem.ids(), '2', stream)}", file=stream)


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()) -> None:
    """Columns padded to their widest cell; the columns numbered in `right` (numbers) aligned right."""
    widths = [max(map(len, column)) for column in zip(header, *rows, strict=True)]
    for line in (header, *rows):
        cells = [
            cell.rjust(width) if column in right else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


def run_command(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Turn configuration and history errors and Ctrl-C into a message and an exit code, never a traceback."""
    from foundry_tui.config.profile import ConfigError
    from foundry_tui.store.errors import StoreError

    try:
        return handler(args)
    except ConfigError as error:
        print_problem(error)
        return exitcodes.CONFIG
    except StoreError as error:
        print_problem(error)
        return exitcodes.OTHER
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return exitcodes.INTERRUPTED
    except BrokenPipeError:  # `foundry-tui ask … | head` closed the pipe: not an error
        sys.stderr.close()
        return exitcodes.OK
