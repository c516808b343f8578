"""One report run at a time per output folder (an advisory file lock)."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from ..errors import ReportError


class RunLock:
    """Hold ``<out_dir>/.lock`` while publishing; a second run waits or stops with a message."""

    def __init__(self, out_dir: Path, wait: bool = True, echo=print):
        self.path = Path(out_dir) / ".lock"
        self.wait = wait
        self.echo = echo

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair()
        # O_NOFOLLOW: the lock is this folder's own file, never a link to somewhere else.
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        self.handle = os.fdopen(descriptor, "r+", encoding="utf-8", errors="replace")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.seek(0)
            holder = self.handle.read().strip() or "another process"
            if not self.wait:
                self.handle.close()
                raise ReportError(
                    f"another report run ({holder}) is publishing into {self.path.parent}; "
                    "try again when it has finished (or run with waiting enabled)"
                ) from None
            self.echo(f"waiting for another report run ({holder}) to finish...")
            fcntl.flock(self.handle, fcntl.LOCK_EX)
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(f"pid {os.getpid()}")
        self.handle.flush()
        return self

    def _repair(self) -> None:
        """A lock path that is not a plain file (a folder, a link) is replaced, and said so;
        a lock file's content is only informative, so damaged content needs no repair."""
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
            self.echo(f"{self.path} was not a plain file; replacing it")
            if self.path.is_dir() and not self.path.is_symlink():
                shutil.rmtree(self.path)
            else:
                self.path.unlink()

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
