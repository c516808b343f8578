"""The warm-kernel process of a report run: it imports what report kernels import, once, and
forks a kernel per report (``warm_kernels`` starts and talks to it).

Every report kernel used to spend about 1.5 s of CPU importing pandas, matplotlib,
scikit-learn, SciPy and IPython; a forked kernel starts with them imported. The child then
becomes exactly what ``python -m ipykernel_launcher -f <connection file>`` would be: its own
session (so interrupts reach it and its subprocesses), the kernel's working directory and
environment, fresh random states, and ``ipykernel_launcher`` run as ``__main__``. It watches
this process as a kernel watches its launcher, and this process ends with the run (its
input closes), so no kernel outlives a run that was killed.

Protocol, one JSON object per line on stdin, one answer per line on stdout:
``{"fork": [args], "env": {...}, "cwd": "..."}`` -> ``{"pid": n}``;
``{"reap": pid}`` -> ``{"status": null}`` while the kernel runs, else its exit code (negative
for a signal; -9 for a process id this process does not know). End of input: exit.
A kernel stays a zombie until its status is asked for, so its process id cannot be reused
while the run still watches it.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import runpy
import signal
import sys
import traceback

INLINE = "module://matplotlib_inline.backend_inline"  # what ipykernel sets, if unset

# What report notebooks import; imported here once. Nothing here opens a socket, starts an
# event loop or reads data: that all happens in the forked kernel.
PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy.stats",
    "sklearn.base",
    "matplotlib.pyplot",
    "IPython",
    "ipykernel.kernelapp",
    "crmlab.plots",
    "crmlab.data",
)


def main() -> None:
    # Ctrl-C in the run's terminal reaches the whole process group: the run stops and closes
    # this process's input, which ends it without a traceback of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("MPLBACKEND", INLINE)  # before matplotlib reads it, as in a kernel
    for name in PRELOAD:
        with contextlib.suppress(ImportError):  # optional and missing: the kernel will say
            importlib.import_module(name)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing else may write to the pipe
    for line in sys.stdin:
        request = json.loads(line)
        if "reap" in request:
            answer = {"status": _reap(request["reap"])}
        else:
            answer = {"pid": _fork(request["fork"], request["env"], request["cwd"], answers)}
        answers.write(json.dumps(answer) + "\n")


def _fork(args: list[str], env: dict, cwd: str, answers) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:
        answers.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a fresh process
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        # the kernel watches its parent and ends with it: this process, which ends with the run.
        # ipykernel read JPY_PARENT_PID into its default when this process imported it, so
        # the launcher is told on its command line too
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        args = [f"--IPKernelApp.parent_handle={os.getppid()}", *args]
        _reseed()
        sys.path[0] = os.getcwd()  # as `python -m` sets it; the launcher takes it out
        sys.argv = ["ipykernel_launcher", *args]
        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except BaseException:  # the kernel failed to start: say why where its log would go
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _reap(pid: int) -> int | None:
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return -signal.SIGKILL
    return os.waitstatus_to_exitcode(status) if done else None


def _reseed() -> None:
    """A fresh process draws fresh seeds; a forked one would share this process's states.
    (``random`` reseeds itself after a fork.)"""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


if __name__ == "__main__":
    main()
