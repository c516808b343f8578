"""Where a run writes: report names that are safe file names and URLs, and one output folder
through which every write of a run goes (nothing lands outside it)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from ..data.paths import resolve_inside
from ..errors import ParameterError, ReportError

NAME_RULE = "[A-Za-z0-9][A-Za-z0-9_.-]*"
_NAME = re.compile(NAME_RULE)
RESERVED_NAMES = frozenset({"index"})  # index.html is the gallery page
PRIVATE_DIR = "_private"
_PUBLIC_FILE = 0o644  # never linked from the index; exclude it when publishing the folder


def name_problem(name: object, what: str = "name") -> str | None:
    """Why ``name`` cannot be a report name or tag (file name and URL part), or None."""
    if not isinstance(name, str) or not name:
        return f"{what} must be a non-empty string, not {name!r}"
    if not _NAME.fullmatch(name):
        return (
            f"{what} {name!r} must match {NAME_RULE} (letters, digits, '_', '.', '-'; "
            "starting with a letter or digit)"
        )
    if name.lower() in RESERVED_NAMES:
        return f"{what} {name!r} is reserved (the index page is index.html)"
    return None


class OutputFolder:
    """A run's output folder. Files are written atomically and only inside it."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.root = self.root.resolve()

    def path(self, relative: str | Path) -> Path:
        """The absolute path of ``relative``; ReportError when it would leave the folder.
        Writes replace the file by renaming, so a link at the file itself is replaced."""
        try:
            return resolve_inside(self.root, relative, "output", replace_links=True)
        except ParameterError as exc:
            raise ReportError(str(exc)) from None

    def write_text(self, relative: str | Path, text: str) -> Path:
        """Write text atomically (a new temporary file, then rename: never a half file, and
        never through a link someone left in the folder)."""
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-write-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(temporary, _PUBLIC_FILE)  # mkstemp makes 0600; pages are for readers
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def move_in(self, source: Path, relative: str | Path) -> Path:
        """Move a finished file (from this run's staging folder) to ``relative``."""
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        return target

    def remove(self, relative: str | Path) -> None:
        """Delete a file of the folder if it exists; a link is removed, never its target."""
        target = self.path(relative)
        if target.is_symlink() or target.is_file():
            target.unlink()

    def staging(self, name: str) -> Path:
        """A fresh hidden folder inside the output folder for one report's files in progress."""
        return Path(tempfile.mkdtemp(dir=self.root, prefix=f".tmp-{name}-"))

    def remove_leftovers(self) -> None:
        """Staging folders of a run that was killed (the caller holds the run lock)."""
        for leftover in self.root.glob(".tmp-*"):
            if leftover.is_symlink() or leftover.is_file():
                leftover.unlink()
            else:
                shutil.rmtree(leftover, ignore_errors=True)
