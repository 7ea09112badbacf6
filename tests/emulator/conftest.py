"""Fixtures for every emulator test module."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def nothing_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The emulator must stay quiet: disconnects, drops and shutdown log no warnings or tracebacks."""
    yield
    # caplog.records holds only the current phase (teardown), so gather the earlier phases too.
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    assert not [record.getMessage() for record in records if record.levelno >= logging.WARNING]
