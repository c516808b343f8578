"""Peak memory of this process, for the benchmarks that run each contender in its own one;
and the CPU time of this process's finished children.

``resource.getrusage(...).ru_maxrss`` is wrong there: a process started by multiprocessing's
"spawn" is forked before it executes Python anew, and Linux keeps the larger of the two
resident sizes, so every contender would report at least what the parent held (the
generated data set). ``VmHWM`` belongs to the address space, which exec replaces."""

from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """Highest resident memory of this process's current program, in MB (MiB)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def children_cpu() -> float:
    """CPU seconds (user + system) of the child processes that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
