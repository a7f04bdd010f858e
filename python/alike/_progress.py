"""The progress display of Library.index(progress=True): one line on standard error, redrawn in
place, with failures printed above it as they happen. Shown only where standard error is a
terminal, so logs and pipes stay clean."""

import sys
import time

_WIDTH = 30  # characters of the bar itself
_REDRAW_SECONDS = 0.1


class ProgressBar:
    """A callable for Library.index(progress=...): progress(event, progress)."""

    def __init__(self, stream=None):
        self._stream = stream if stream is not None else sys.stderr
        self._started = time.monotonic()
        self._drawn = 0.0
        self._last = None

    def __call__(self, event, progress):
        if event is not None and event.kind == "failed":
            self._stream.write("\r\033[K" + event.message + "\n")
        self._last = progress
        now = time.monotonic()
        if now - self._drawn >= _REDRAW_SECONDS:
            self._drawn = now
            self._draw(progress, now)

    def close(self):
        """Draws the final state and ends the line."""
        if self._last is not None:
            self._draw(self._last, time.monotonic())
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self, progress, now):
        elapsed = max(now - self._started, 1e-9)
        rate = progress.done / elapsed
        if progress.walk_finished and progress.found > 0:
            filled = _WIDTH * progress.done // progress.found
            left = (progress.found - progress.done) / rate if rate > 0 else 0
            line = (f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {progress.done}/{progress.found}"
                    f" images, {rate:.1f}/s, {left:.0f} s left")
        else:
            line = f"{progress.done} images done, {progress.found} found so far, {rate:.1f}/s"
        if progress.unchanged:
            line += f" ({progress.unchanged} unchanged)"
        self._stream.write("\r\033[K" + line)
        self._stream.flush()


def terminal_bar():
    """A ProgressBar on standard error if it is a terminal, else None (no progress shown)."""
    isatty = getattr(sys.stderr, "isatty", None)
    return ProgressBar() if isatty is not None and isatty() else None
