"""The server process's heap under glibc: big blocks straight back to the system, and what requests leave free in
the allocator's arenas handed back when each request ends. Both are no-ops where the C library lacks them (macOS,
musl)."""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

MMAP_THRESHOLD = 1 << 20  # bytes: glibc serves larger blocks by mmap, and gives them back to the system when freed
ARENAS = 2  # malloc arenas shared by all threads (glibc default: 8 a core)
_LIBC = ctypes.CDLL(ctypes.util.find_library("c"))
_MALLOPT = getattr(_LIBC, "mallopt", None)
_MALLOC_TRIM = getattr(_LIBC, "malloc_trim", None)
_TRIMMING = threading.Lock()  # one trim at a time: a second request ending meanwhile has nothing left to add


def bound() -> None:
    """Pin glibc's mmap threshold at MMAP_THRESHOLD. By default it rises to the largest block freed (up to 32 MB), so
    after a request's first large tensors are freed, later ones of that size come from the heap and their memory
    stays with the process: one inpainting call kept ~220 MB, and the app held ~930 MB after one visit of every tab
    instead of ~650 MB (bench/results/lessons.md)."""
    if _MALLOPT is not None:
        _MALLOPT(-3, MMAP_THRESHOLD)  # -3: M_MMAP_THRESHOLD
        _MALLOPT(-8, ARENAS)  # -8: M_ARENA_MAX


def trim() -> None:
    """Give the free memory at the ends and in the middle of every arena back to the system (malloc_trim(0)).
    Gradio runs a request's steps on worker threads, each with its own arena; without this, blocks under the mmap
    threshold freed by four playground runs kept ~100 MB (bench/results/lessons.md). Costs a few milliseconds."""
    if _MALLOC_TRIM is not None and _TRIMMING.acquire(blocking=False):
        try:
            _MALLOC_TRIM(0)
        finally:
            _TRIMMING.release()
