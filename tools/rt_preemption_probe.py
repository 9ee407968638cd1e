#!/usr/bin/python3
"""How often a busy SCHED_FIFO thread pinned to the last CPU is preempted inside a "trial", with
and without a pause of a share of each trial between trials (docs/profiling.md, "A quiet
measurement"). Needs root (or CAP_SYS_NICE); about 30 s. Usage: tools/rt_preemption_probe.py
"""
import os
import resource
import time


def switches():
    return resource.getrusage(resource.RUSAGE_THREAD).ru_nivcsw


def run(seconds, trial_s, rest_share):
    end = time.monotonic() + seconds
    trials = disturbed = 0
    while time.monotonic() < end:
        before = switches()
        until = time.monotonic() + trial_s
        while time.monotonic() < until:
            pass
        disturbed += switches() > before
        trials += 1
        if rest_share:
            time.sleep(trial_s * rest_share)
    return f"{trials} trials, {disturbed} disturbed ({100 * disturbed / trials:.1f}%)"


def main():
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    print(f"load average {open('/proc/loadavg').read().split()[:3]}")
    for trial_s in (0.01, 0.1):
        for share in (0, 0.1, 0.2):
            print(f"trial {trial_s * 1e3:.0f} ms, rest {share:.0%}: {run(5, trial_s, share)}")


if __name__ == "__main__":
    main()
