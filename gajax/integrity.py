"""File integrity: a fast content hash for the artefacts gajax writes, and a check of the weights gajax ships.

:func:`file_digest` is xxh3-128 (several GB/s on one core), used for files too large to hash with sha256 on every
load, such as a ScaNN index. :func:`verify_packaged` checks the files of an installed package (the embedded
MiniLM and SmolLM2 weights) against the sha256 that pip recorded when it installed them, so a damaged copy is
refused instead of silently computing something else.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
from pathlib import Path

import xxhash


class LibraryError(ValueError):
    """A library directory whose files are missing, corrupt or inconsistent with each other."""


class IntegrityError(ValueError):
    """A file whose content is not the one that was written or installed."""


def file_digest(path: Path) -> str:
    """The xxh3-128 hex digest of a file, read in 8 MiB blocks."""
    digest = xxhash.xxh3_128()
    with path.open("rb") as f:
        while block := f.read(1 << 23):
            digest.update(block)
    return digest.hexdigest()


class PackageVerifier:
    """Checks the files of installed packages against the sha256 and size that pip recorded, and remembers each
    file set that passed (keyed by pip's hashes and the files' current sizes and mtimes): the same unchanged files
    are hashed once per verifier. :data:`PACKAGES` is the process-wide one behind :func:`verify_packaged`."""

    def __init__(self) -> None:
        self._verified: set[tuple] = set()

    def verify(self, directory: Path, distribution: str, subdir: str) -> Path:
        """Check every file under ``directory`` that pip installed as ``subdir/...`` of ``distribution``; returns
        ``directory``. Raises :class:`IntegrityError` naming the first missing or differing file."""
        try:
            files = importlib.metadata.files(distribution) or []
        except importlib.metadata.PackageNotFoundError:
            raise IntegrityError(f"{directory}: package {distribution} is not installed") from None
        prefix = subdir.strip("/") + "/"
        entries = tuple(
            (f.as_posix()[len(prefix) :], f.hash.value, f.size)
            for f in files
            if f.as_posix().startswith(prefix) and f.hash is not None and f.hash.mode == "sha256"
        )
        stats = []
        for name, _, _ in entries:
            path = directory / name
            if not path.is_file():
                raise IntegrityError(
                    f"{path}: missing from the installed {distribution}; reinstall it (pip install --force-reinstall "
                    f"{distribution})"
                )
            stat = path.stat()
            stats.append((stat.st_size, stat.st_mtime_ns))
        key = (str(directory), distribution, entries, tuple(stats))
        if key not in self._verified:
            _check_hashes(directory, distribution, entries, stats)
            self._verified.add(key)
        return directory


def _check_hashes(
    directory: Path, distribution: str, entries: tuple[tuple[str, str, int | None], ...], stats: list[tuple[int, int]]
) -> None:
    for (name, want, size), (actual_size, _) in zip(entries, stats, strict=True):
        path = directory / name
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 23):
                digest.update(block)
        got = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
        if (size is not None and actual_size != size) or got != want:
            raise IntegrityError(
                f"{path}: content differs from the installed {distribution} ({actual_size} bytes, sha256 differs "
                f"from pip's record); reinstall it (pip install --force-reinstall {distribution})"
            )


PACKAGES = PackageVerifier()


def verify_packaged(directory: Path, distribution: str, subdir: str) -> Path:
    """Check every file under ``directory`` that pip installed as ``subdir/...`` of ``distribution`` against
    its recorded sha256 and size; returns ``directory``. Checked once per process (by :data:`PACKAGES`) while the
    files are unchanged."""
    return PACKAGES.verify(directory, distribution, subdir)
