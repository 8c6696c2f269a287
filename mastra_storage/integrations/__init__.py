"""Agent-framework integrations: converters and sessions over mastra-storage.

Each framework has its own module, imported explicitly (``from
mastra_storage.integrations.openai_agents import MastraSession``); this package imports no
framework, so ``import mastra_storage`` stays light. :mod:`.tool_parts` holds the rules
every converter shares (one ``tool-invocation`` part per tool call and its result, and how
what has no Mastra equivalent is preserved).
"""

from __future__ import annotations
