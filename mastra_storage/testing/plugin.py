"""pytest plugin for mastra-storage, registered through the ``pytest11`` entry point.

It is deliberately inert for projects that do not use it: importing it imports nothing from
mastra-storage, it does not override ``anyio_backend`` (the conformance classes pin asyncio
themselves) and it only adds opt-in fixtures:

* ``mastra_samples``: the sample-record builders of :mod:`mastra_storage.testing.data`
  (``mastra_samples.thread()``, ``.message(thread=...)``, ``.resource()``, ``.score()``...).
* ``mastra_memory_state_machine_settings``: the Hypothesis settings the stateful memory test
  uses (env-overridable), for adapters that build their own state-machine runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hypothesis import settings

    from .data import Samples


@pytest.fixture
def mastra_samples() -> Samples:
    """Builders for sample threads, messages, resources, snapshots, scores and spans."""
    from .data import Samples

    return Samples()


@pytest.fixture
def mastra_memory_state_machine_settings() -> settings:
    """Hypothesis settings for :mod:`mastra_storage.testing.stateful` (env-overridable)."""
    from .stateful import stateful_settings

    return stateful_settings()
