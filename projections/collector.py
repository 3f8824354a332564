"""Keeps Python's cyclic garbage collector out of the way of busy projection batches."""

from __future__ import annotations

import gc


class CollectorPause:
    """Keeps Python's cyclic garbage collector off across a run of busy batches.

    A batch keeps thousands of fresh objects alive until it commits (events, rows), so
    the collector would promote them and walk the whole heap several times a second: a
    third of the projector's time, measured. They hold no reference cycles, so reference
    counting frees them anyway. The collector is switched back on every ``every``
    batches (it then runs once, over the little that is alive) and whenever the caller
    goes idle or stops, so cycles made elsewhere in the process are still collected.
    """

    def __init__(self, every: int = 16) -> None:
        self._every = every
        self._batches = 0
        self._held = False

    def busy(self) -> None:
        """A batch is about to be decoded and written."""
        if self._held:
            self._batches += 1
            if self._batches >= self._every:
                self.release()
            return
        if gc.isenabled():  # else someone else holds it (another projector): leave it
            gc.disable()
            self._held, self._batches = True, 0

    def release(self) -> None:
        """Switch the collector back on, if this pause switched it off."""
        if self._held:
            gc.enable()
            self._held = False
