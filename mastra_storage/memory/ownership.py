"""Who owns what: a thread belongs to one resource, and so do its messages.

Every :class:`~mastra_storage.memory.Memory` call that names a resource acts only on that
resource's data: a thread, message or working memory of another resource is refused with
:class:`ResourceMismatchError` before anything is written (the check Mastra's
``recall``/``query`` makes, applied to every call). These helpers make the checks; the
call sites decide when (see ``docs/memory.md``, "Ownership").
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ValidationError
from ..records import Message, Thread

THREAD_MISMATCH = "MASTRA_MEMORY_THREAD_RESOURCE_MISMATCH"
MESSAGE_MISMATCH = "MASTRA_MEMORY_MESSAGE_RESOURCE_MISMATCH"


class ResourceMismatchError(ValidationError):
    """A call made for one resource named a thread or message of another resource.

    Nothing was read back, written, moved or deleted. ``id`` is
    ``MASTRA_MEMORY_THREAD_RESOURCE_MISMATCH`` (a thread) or
    ``MASTRA_MEMORY_MESSAGE_RESOURCE_MISMATCH`` (a message).
    """


def thread_mismatch(thread_id: str, resource_id: str) -> ResourceMismatchError:
    """The error for ``thread_id`` (owned by another resource) used for ``resource_id``.

    Unlike Mastra's text it does not name the owner: the caller is not entitled to know it.
    """
    return ResourceMismatchError(
        f"Thread with id {thread_id} belongs to another resource than {resource_id}",
        id=THREAD_MISMATCH,
        details={"thread_id": thread_id},
    )


def check_thread(thread: Thread | None, resource_id: str | None) -> None:
    """Refuse ``thread`` (if it exists) unless ``resource_id`` owns it (``None``: no check)."""
    if thread is not None and resource_id is not None and thread.resource_id != resource_id:
        raise thread_mismatch(thread.id, resource_id)


def check_messages(messages: Iterable[Message], resource_id: str | None) -> None:
    """Refuse if any of these stored messages belongs to another resource."""
    if resource_id is None:
        return
    for message in messages:
        if message.resource_id != resource_id:
            # The owner is not named: the caller has no business knowing it.
            raise ResourceMismatchError(
                f"Message {message.id} belongs to another resource than {resource_id}",
                id=MESSAGE_MISMATCH,
                details={"message_id": message.id},
            )


__all__ = [
    "MESSAGE_MISMATCH",
    "THREAD_MISMATCH",
    "ResourceMismatchError",
    "check_messages",
    "check_thread",
    "thread_mismatch",
]
