"""One load per data set per report run.

The report runner names a private folder in ``CRMLAB_LOAD_CACHE`` for the length of a run
(``for_run``). ``data.load`` then keeps each data set it read and validated there, and
the run's next report that loads the same data set with the same arguments reads it back
instead of validating it again (the sample: 0.7 s -> 0.02 s). So every report of a run
sees the same data, as first read in that run.

A few costly results that depend only on the data are kept the same way: the Chinese
sentiment scores of a run's comments (``voice.sentiment``), whose model takes 2 s to load
in every kernel, while three reports of the catalogue score the same comments.

The folder is a hidden staging folder inside the run's output folder, removed when the
run ends (or by the next run, when a run was killed). Its files are pickles written by
the run's own kernels, so never point the variable at a folder that others can write.
Without the variable (a notebook opened by hand, any other program) nothing is cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

ENV = "CRMLAB_LOAD_CACHE"
T = TypeVar("T")


def cached(load: Callable[[], T], arguments: dict) -> T:
    """``load()``, or what this run already loaded (or computed) with the same
    ``arguments`` (from the same working directory). The arguments must name everything
    the result depends on. Caching only saves time: a cache that cannot be read or written
    is passed by."""
    folder = os.environ.get(ENV)
    if not folder:
        return load()
    described = json.dumps({"cwd": os.getcwd(), **arguments}, sort_keys=True, default=str)
    path = Path(folder) / f"{hashlib.sha256(described.encode()).hexdigest()[:32]}.pickle"
    with contextlib.suppress(OSError, EOFError, pickle.UnpicklingError), path.open("rb") as kept:
        return pickle.load(kept)
    data = load()
    with contextlib.suppress(OSError):
        handle, written = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(data, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(written, path)  # whole or absent: two kernels may write the same entry
    return data


@contextlib.contextmanager
def for_run(folder: Path) -> Iterator[None]:
    """``CRMLAB_LOAD_CACHE`` set to ``folder`` (created) while the block runs, for the
    kernels started in it; afterwards the variable is as before and the folder is gone."""
    folder.mkdir(parents=True, exist_ok=True)
    before = os.environ.get(ENV)
    os.environ[ENV] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
        shutil.rmtree(folder, ignore_errors=True)
