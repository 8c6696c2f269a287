"""``connect()`` without a URL: ``$MASTRA_STORAGE_URL``, or a ConfigurationError naming it."""

from __future__ import annotations

import pytest

from mastra_storage import ConfigurationError, connect


def test_connect_without_url_reads_mastra_storage_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTRA_STORAGE_URL", "memory://")
    assert type(connect()).__name__ == "InMemoryStore"


def test_an_explicit_url_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTRA_STORAGE_URL", "gopher://nowhere")
    assert type(connect("memory://")).__name__ == "InMemoryStore"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_connect_without_url_or_variable_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("MASTRA_STORAGE_URL", raising=False)
    else:
        monkeypatch.setenv("MASTRA_STORAGE_URL", value)
    with pytest.raises(ConfigurationError, match="MASTRA_STORAGE_URL") as info:
        connect()
    assert info.value.id == "MASTRA_STORAGE_URL_NOT_SET"


def test_an_explicit_empty_url_is_still_an_invalid_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTRA_STORAGE_URL", "memory://")
    with pytest.raises(ConfigurationError) as info:
        connect("")
    assert info.value.id == "MASTRA_STORAGE_INVALID_URL"
