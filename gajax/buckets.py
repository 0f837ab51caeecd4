"""Length buckets: the padded lengths that batches are compiled for, so a jitted function sees few shapes.

Two schedules, one per kind of caller: :func:`round_to_bucket` (32, 48, 64, 96, 128, ... up to a limit) for the
decoder's prompt and cache lengths, whose compiles are costly; :func:`length_bucket` (multiples of 8, then of 32)
for the encoder's short texts, where padding costs more than a compile.
"""

from __future__ import annotations

MIN_BUCKET = 32


def bucket_sizes(limit: int) -> list[int]:
    """The fixed length buckets up to ``limit``: 32, 48, 64, 96, 128, 192, ... (powers of two and 1.5x them)."""
    sizes, size = [], MIN_BUCKET
    while size < limit:
        sizes.extend(s for s in (size, size * 3 // 2) if s < limit)
        size *= 2
    return [*sizes, limit]


def round_to_bucket(length: int, limit: int) -> int:
    """The smallest bucket that holds ``length`` (buckets grow past ``limit`` in the same pattern if needed)."""
    for size in bucket_sizes(max(limit, length)):
        if size >= length:
            return size
    raise AssertionError("unreachable: the last bucket is at least length")


def length_bucket(length: int) -> int:
    """The padded length for a batch whose longest text has ``length`` tokens (multiples of 8, then of 32)."""
    return round_up(length, 8 if length <= 64 else 32)


def round_up(value: int, multiple: int) -> int:
    """``value`` rounded up to a multiple of ``multiple`` (e.g. a batch to the number of batch shards)."""
    return -(-value // multiple) * multiple
