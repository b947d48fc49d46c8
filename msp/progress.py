"""A dependency-free progress bar for management commands."""

import sys
from collections.abc import Iterable, Iterator


def progress[T](items: Iterable[T], *, total: int | None = None, label: str = "", stream=None) -> Iterator[T]:
    stream = stream or sys.stderr
    total = total if total is not None else len(items)  # type: ignore[arg-type]
    width = 30
    for index, item in enumerate(items, start=1):
        yield item
        filled = width * index // max(total, 1)
        stream.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {index}/{total}")
        stream.flush()
    stream.write("\n")
    stream.flush()
