"""Numba's on-disk cache of compiled kernels: a folder it can write, entries that load, and
whether the first run must compile.

numba writes its cache beside the source (`sim/__pycache__`) or in `~/.cache/numba`; if neither
is writable, importing a kernel fails ("no locator available"), so `choose_folder` (run before any
kernel module is imported) falls back to a folder in the temporary directory. A cache file cut
short (a full disk, a killed process) makes every later run fail as numba loads it:
`remove_corrupt_entries` deletes such files before a run, and numba compiles them again.
"""

import logging
import os
import sys
import tempfile
from pathlib import Path

import numba
from numba.core.dispatcher import Dispatcher

log = logging.getLogger(__name__)
PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE = __name__.split(".")[0]


def writable(folder: Path) -> bool:
    """The folder exists and can be written, or can be made in a writable parent."""
    while not folder.exists():
        if folder.parent == folder:
            return False
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def choose_folder() -> None:
    """Keep numba's own choice where it can write; otherwise point it at a private folder in the
    temporary directory (NUMBA_CACHE_DIR, inherited by sweep workers)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    user_wide = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "numba"
    if writable(PACKAGE_DIR / "__pycache__") or writable(user_wide):
        return
    folder = Path(tempfile.gettempdir()) / f"migration-sim-numba-{os.getuid()}"
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    numba.config.CACHE_DIR = str(folder)
    log.info("numba cache: the package folder and %s are read-only; caching in %s", user_wide, folder)


def kernels(module_prefix: str = PACKAGE) -> list[Dispatcher]:
    """The cached numba functions of the modules loaded so far under `module_prefix`."""
    found = []
    for name, module in list(sys.modules.items()):
        if name == module_prefix or name.startswith(module_prefix + "."):
            found.extend(value for value in vars(module).values()
                         if isinstance(value, Dispatcher) and value.__module__ == name and value.stats.cache_path)
    return found


def entries(dispatcher: Dispatcher) -> list[Path]:
    """The cache files (index and data) of one kernel."""
    stem = f"{dispatcher.py_func.__module__.split('.')[-1]}.{dispatcher.py_func.__qualname__}-"
    folder = Path(dispatcher.stats.cache_path)
    return [path for path in folder.glob(f"{stem}*") if path.suffix in (".nbi", ".nbc")] if folder.is_dir() else []


def is_intact(path: Path) -> bool:
    """A cache file is pickled data: it begins with a pickle protocol mark and ends with STOP."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1)
            handle.seek(-1, os.SEEK_END)
            return head == b"\x80" and handle.read(1) == b"."
    except OSError:
        return False


def remove_corrupt_entries(module_prefix: str = PACKAGE) -> list[Path]:
    """Delete the cache files of this package's kernels that are cut short or overwritten; numba
    compiles those kernels again on their next call. Returns the files removed."""
    removed = []
    for dispatcher in kernels(module_prefix):
        for path in entries(dispatcher):
            if not is_intact(path):
                path.unlink(missing_ok=True)
                removed.append(path)
                log.warning("numba cache: %s was corrupt; removed, compiled again on this run", path.name)
    return removed


def compiled_before(module_prefix: str = PACKAGE + ".kernels") -> bool:
    """Every kernel of the day loop has a cache entry: this run loads them instead of compiling."""
    return all(any(path.suffix == ".nbi" for path in entries(dispatcher)) for dispatcher in kernels(module_prefix))
