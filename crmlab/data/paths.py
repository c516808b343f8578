"""Paths a run may write to: relative, inside one folder, never hidden or escaping it."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from ..errors import ParameterError


def relative_problem(relative: str | Path) -> str | None:
    """Why ``relative`` cannot name a file inside an output folder, or None when it can.

    Allowed: a non-empty relative path such as ``exports/segments.csv``. Refused: absolute
    paths (also Windows drive and UNC forms), ``..`` or ``.`` components, hidden
    (``.name``) components, NUL bytes and backslashes.
    """
    text = str(relative)
    if not text.strip():
        return "is empty"
    if "\x00" in text or "\\" in text:
        return "contains a NUL byte or a backslash"
    posix = PurePosixPath(text)
    if posix.is_absolute() or PureWindowsPath(text).drive or text.startswith("~"):
        return "is absolute; give a path relative to the output folder (e.g. exports/x.csv)"
    for part in posix.parts:
        if part in (".", ".."):
            return f"has a {part!r} component; it must stay inside the output folder"
        if part.startswith("."):
            return f"has a hidden component {part!r}"
    return None


def resolve_inside(
    folder: str | Path, relative: str | Path, what: str = "path", replace_links: bool = False
) -> Path:
    """The absolute path of ``relative`` inside ``folder``; ParameterError when it would leave it.

    Symbolic links are resolved first, so a linked sub-folder pointing elsewhere is refused.
    replace_links: the caller replaces the file atomically (a rename), so a link at the file
    itself is replaced, not followed, and need not point inside.
    """
    problem = relative_problem(relative)
    if problem:
        raise ParameterError(f"{what} {str(relative)!r} {problem}")
    base = Path(folder).resolve()
    joined = base / str(relative)
    target = joined.parent.resolve() / joined.name if replace_links else joined.resolve()
    if target == base or not target.is_relative_to(base):
        raise ParameterError(
            f"{what} {str(relative)!r} resolves to {target}, outside the output folder {base}"
        )
    return target
