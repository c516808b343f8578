"""Report kernels forked from one warm process per run, instead of each started from scratch.

A report kernel spent about 1.5 s of CPU importing the scientific stack before its first
cell; with 24 reports that was a fifth of a cold ``make reports``. ``warm_kernels`` starts
``kernel_zygote`` (same interpreter, same flags, same environment) when a run has enough
reports to repay it, and papermill's kernel manager then asks it for each kernel. The
kernel itself is the one ``python -m ipykernel_launcher`` starts (see ``kernel_zygote``);
the kernel spec is not changed, so JupyterLab starts kernels as before. ``keep_warm`` keeps
one warm process across runs (the test suite's: its nbval notebooks fork from it too).

Whenever forking is not possible (not Linux, a kernel spec that is not ipykernel's
launcher, the warm process gone), the kernel starts the usual way.
``CRMLAB_WARM_KERNELS=0`` turns it off.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .kernels import THREAD_VARIABLES

LAUNCHER = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
SWITCH = "CRMLAB_WARM_KERNELS"
MIN_REPORTS = 3  # warming up costs about one kernel's imports; below this it does not pay


@contextmanager
def warm_kernels(kernel_name: str, n_reports: int) -> Iterator[dict]:
    """papermill keyword arguments for this run's kernels: forked from a warm process while
    the block runs (the process stops after it, unless ``keep_warm`` keeps it), or none
    when it would not pay."""
    interpreter = _forkable(kernel_name)
    if interpreter is None:
        yield {}
    elif _kept is not None:
        yield {"kernel_manager_class": forking_manager(_kept_zygote(interpreter))}
    elif n_reports < MIN_REPORTS:
        yield {}
    else:
        zygote = Zygote(interpreter)
        try:
            yield {"kernel_manager_class": forking_manager(zygote)}
        finally:
            zygote.close()


_kept: dict[tuple[str, ...], Zygote] | None = None  # while keep_warm runs
_kept_lock = threading.Lock()


@contextmanager
def keep_warm() -> Iterator[None]:
    """Keep each warm process for every run inside the block, however small the run, and
    stop them after it. For a test session: crmlab's code cannot change under it. A run on
    its own does not keep one: a process that had imported crmlab would hand old code to
    kernels after an edit."""
    global _kept
    _kept = {}
    try:
        yield
    finally:
        with _kept_lock:
            kept, _kept = _kept, None
        for zygote in kept.values():
            zygote.close()


def kept_zygote(kernel_name: str) -> Zygote | None:
    """The warm process ``keep_warm`` keeps for this kernel (started now if need be), or
    None outside ``keep_warm``, when the switch is off, or for a kernel that is not forkable."""
    interpreter = _forkable(kernel_name)
    if _kept is None or interpreter is None:
        return None
    return _kept_zygote(interpreter)


def _forkable(kernel_name: str) -> list[str] | None:
    """``interpreter_of`` the kernel; None when ``CRMLAB_WARM_KERNELS=0`` turns forking off."""
    return None if os.environ.get(SWITCH) == "0" else interpreter_of(kernel_name)


def _kept_zygote(interpreter: list[str]) -> Zygote:
    key = tuple(interpreter)
    with _kept_lock:
        if key not in _kept:
            _kept[key] = Zygote(interpreter)
        return _kept[key]


def interpreter_of(kernel_name: str) -> list[str] | None:
    """The kernel spec's interpreter and its flags, when the spec runs ipykernel's launcher
    and this is Linux (elsewhere a forked process may not use what it inherited: macOS's
    system frameworks, and Windows has no fork)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    if sys.platform != "linux":
        return None
    try:
        argv = KernelSpecManager().get_kernel_spec(kernel_name).argv
    except NoSuchKernel:
        return None
    return argv[: -len(LAUNCHER)] if argv[-len(LAUNCHER) :] == LAUNCHER else None


class Zygote:
    """The warm process: ``fork`` gives a new kernel's process id, ``reap`` its exit code."""

    def __init__(self, interpreter: list[str]):
        self.interpreter = interpreter
        self.threads = _threads(os.environ)
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [*interpreter, "-m", "crmlab.reports.kernel_zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def kernel_args(self, cmd: list[str]) -> list[str] | None:
        """The launcher's arguments in a kernel command this process can fork, else None."""
        head = [*self.interpreter, "-m", "ipykernel_launcher"]
        return cmd[len(head) :] if cmd[: len(head)] == head else None

    def fork(self, args: list[str], env: dict, cwd: str) -> int | None:
        """A kernel's process id, or None when this process cannot make that kernel: it is
        gone, or the kernel asks for thread pools of other sizes than the ones fixed when
        this process imported NumPy and scikit-learn. Such a kernel starts the usual way."""
        if _threads(env) != self.threads:
            return None
        answer = self._ask({"fork": args, "env": env, "cwd": cwd})
        return None if answer is None else answer["pid"]

    def reap(self, pid: int) -> int | None:
        """A kernel's exit code once it has ended (and is reaped), None while it runs. With
        the warm process gone its kernels end on their own: -9, as if killed."""
        answer = self._ask({"reap": pid})
        return -signal.SIGKILL if answer is None else answer["status"]

    def _ask(self, request: dict) -> dict | None:
        with self._lock:
            try:
                self._process.stdin.write(json.dumps(request) + "\n")
                self._process.stdin.flush()
                line = self._process.stdout.readline()
            except (OSError, ValueError):  # the process is gone, or this side closed
                return None
        return json.loads(line) if line else None

    def close(self) -> None:
        """Stop the warm process; it reaps what is left (kernels are shut down by then)."""
        with self._lock:
            self._process.stdin.close()
        self._process.wait()
        self._process.stdout.close()


class ForkedKernel:
    """A forked kernel, as jupyter_client's local provisioner handles a Popen: poll, wait,
    signals. It is the warm process's child, which says when it has ended."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, zygote: Zygote):
        self.pid, self.returncode, self._zygote = pid, None, zygote

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._zygote.reap(self.pid)
        return self.returncode

    def wait(self) -> int:
        while self.poll() is None:
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _threads(env) -> dict:
    return {variable: env.get(variable) for variable in THREAD_VARIABLES}


def forking_manager(zygote: Zygote, blocking: bool = False):
    """A kernel manager class whose kernels fork from ``zygote``: papermill's (asynchronous),
    or with ``blocking`` the one nbval uses."""
    from jupyter_client.manager import AsyncKernelManager, KernelManager
    from jupyter_client.provisioning import LocalProvisioner

    class ForkingProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd: list[str], **kwargs):
            args = zygote.kernel_args(cmd)
            cwd = str(kwargs.get("cwd") or Path.cwd())
            pid = None
            if args is not None:
                pid = zygote.fork(args, dict(kwargs.get("env") or os.environ), cwd)
            if pid is None:  # not ipykernel's launcher, other thread pools, or no warm process
                return await super().launch_kernel(cmd, **kwargs)
            self.process = ForkedKernel(pid, zygote)
            self.pid = self.pgid = pid  # the kernel leads its own session
            self.cwd = cwd
            return self.connection_info

    class ForkingKernelManager(KernelManager if blocking else AsyncKernelManager):
        # both start a kernel through this coroutine; it sets the provisioner only if unset
        async def _async_pre_start_kernel(self, **kw):
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            if self.provisioner is None:
                self.provisioner = ForkingProvisioner(
                    kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
                )
            return await super()._async_pre_start_kernel(**kw)

    return ForkingKernelManager
