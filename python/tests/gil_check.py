"""Whether a call releases the GIL, for the tests of every long call: while another thread makes
the call, this one keeps running Python code, and counts how often it did."""

import threading
import time

import numpy as np


def ticks_during(call, times):
    """Makes call() `times` times on another thread while this thread ticks. Returns, per call,
    the ticks in the middle half of its window (none there if the call held the GIL), and each
    call's seconds. Tests assert on the sum: on a loaded machine (CI runs two tests at once on
    two cores) the scheduler may keep this thread off a core for a whole short window, which says
    nothing about the GIL."""
    windows = []

    def work():
        for _ in range(times):
            start = time.perf_counter()
            call()
            windows.append((start, time.perf_counter()))

    worker = threading.Thread(target=work)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())  # Python code running in this thread
    worker.join()
    ticks = np.array(ticks)
    inside = [int(np.sum((ticks > a + (b - a) / 4) & (ticks < b - (b - a) / 4)))
              for a, b in windows]
    return inside, [round(b - a, 3) for a, b in windows]
