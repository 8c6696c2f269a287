"""``copy_storage``: stream every domain of one store into another.

Domains are copied one after the other (memory, resources, workflows, scores,
observability). After each written page the destination is asked for the page's keys
(the count check) and the checkpoint records the position, so ``resume=True`` continues
after the last completed page. Observability is skipped, with a notice, when either side
does not support it.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..composite import MastraStorage
from ..errors import ValidationError
from .batch import DEFAULT_PAGE_SIZE, Batch
from .checkpoint import Checkpoint
from .progress import Progress, ProgressCallback
from .sink import Sink
from .source import scan_memory, scan_resources, scan_scores, scan_spans, scan_workflows

Notice = Callable[[str], None]


@dataclass
class TransferReport:
    """Per record kind: ``[records read from the source, records found in the destination]``;
    ``notices`` lists what was skipped and why."""

    counts: dict[str, list[int]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(source == found for source, found in self.counts.values())

    def mismatches(self) -> dict[str, list[int]]:
        return {k: v for k, v in self.counts.items() if v[0] != v[1]}

    def summary(self) -> str:
        lines = [
            f"{kind}: {src} copied, {dst} in destination"
            for kind, (src, dst) in self.counts.items()
        ]
        return "\n".join(lines)


def _stderr_notice(message: str) -> None:
    print(f"notice: {message}", file=sys.stderr)


def check_page_size(page_size: int) -> None:
    if (
        isinstance(page_size, bool)
        or not isinstance(page_size, int)
        or not 1 <= page_size <= 10_000
    ):
        raise ValidationError(
            "page_size must be an integer between 1 and 10000",
            id="MASTRA_STORAGE_TRANSFER_INVALID_PAGE_SIZE",
        )


async def source_batches(
    src: MastraStorage,
    page_size: int,
    positions: dict[str, object],
    skip: set[str],
    notice: Notice,
) -> AsyncIterator[tuple[str, Batch]]:
    """Every batch of the source as ``(domain, batch)``, from the given positions."""
    domains: list[tuple[str, AsyncGenerator[Batch, None]]] = [
        ("memory", scan_memory(src, page_size, positions.get("memory"))),
        ("resources", scan_resources(src, page_size, positions.get("resources"), notice)),
        ("workflows", scan_workflows(src, page_size, positions.get("workflows"))),
        ("scores", scan_scores(src, page_size, positions.get("scores"))),
        ("observability", scan_spans(src, page_size, positions.get("observability"))),
    ]
    for name, batches in domains:
        if name in skip:
            await batches.aclose()
            continue
        async for batch in batches:
            yield name, batch
        yield name, Batch("thread", [], key=_DONE)


#: Marks the end of a domain in :func:`source_batches`' stream.
_DONE = object()


async def pump(
    batches: AsyncIterator[tuple[str, Batch]],
    sink: Sink,
    checkpoint: Checkpoint,
    report: TransferReport,
    progress: Progress,
) -> None:
    """Write, verify and checkpoint every batch."""
    for kind, pair in checkpoint.counts.items():
        report.counts[kind] = list(pair)
    async for domain, batch in batches:
        if batch.key is _DONE:
            if domain not in checkpoint.done:
                checkpoint.done.append(domain)
            checkpoint.counts = {k: list(v) for k, v in report.counts.items()}
            await checkpoint.save()
            continue
        if batch.extra.get("restore"):
            await sink.write(batch)  # not counted: the thread was counted with its page
            continue
        if batch.records:
            await sink.write(batch)
            found = await sink.verify(batch)
            counts = report.counts.setdefault(batch.kind, [0, 0])
            counts[0] += len(batch.records)
            counts[1] += found
            progress.add(batch.kind, len(batch.records))
        if batch.key is not None:
            checkpoint.positions[domain] = batch.key
            checkpoint.counts = {k: list(v) for k, v in report.counts.items()}
            await checkpoint.save()


async def _skipped_domains(
    src: MastraStorage, sink: Sink, checkpoint: Checkpoint, report: TransferReport, notice: Notice
) -> set[str]:
    skip = set(checkpoint.done)
    for domain in ("workflows", "scores", "observability"):
        has_src = await src.get_store(domain) is not None
        has_dst = await sink.supports(domain)
        if has_src and not has_dst:
            message = f"{domain}: the destination does not support this domain; not copied"
        elif has_dst and not has_src:
            message = f"{domain}: the source does not support this domain; nothing to copy"
        else:
            continue
        skip.add(domain)
        report.notices.append(message)
        notice(message)
    return skip


async def copy_storage(
    src: MastraStorage,
    dst: MastraStorage,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    progress: bool | ProgressCallback = False,
    notice: Notice | None = None,
    source_label: str = "",
    destination_label: str = "",
) -> TransferReport:
    """Copy every domain of ``src`` into ``dst``; ``dst`` is ``init()``-ed (created or
    migrated), ``src`` is only read (open it with
    :func:`mastra_storage.existing.open_existing` so nothing creates or migrates it).

    ``checkpoint`` names the resume file; with ``resume=True`` an existing file is
    continued, otherwise the copy starts over (an existing file that is not a copy
    checkpoint is refused rather than replaced). The labels (already redacted URLs) tie
    a checkpoint file to its copy. Check ``report.ok`` for the count check.
    ``progress`` is a callback taking a :class:`~.progress.ProgressEvent` after each page
    (and once at the end), or ``True`` for the display on stderr.
    """
    check_page_size(page_size)
    notice = notice or _stderr_notice
    state = Checkpoint(
        Path(checkpoint) if checkpoint is not None else None,
        source=source_label,
        destination=destination_label,
    )
    if resume:
        await state.load()
    else:
        await state.check_replaceable()
    await dst.init()
    report = TransferReport()
    sink = Sink(dst)
    skip = await _skipped_domains(src, sink, state, report, notice)
    bar = Progress("copy", enabled=progress)
    try:
        await pump(
            source_batches(src, page_size, state.positions, skip, notice), sink, state, report, bar
        )
    finally:
        bar.finish()
    return report
