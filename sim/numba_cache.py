"""Numba's on-disk cache of compiled kernels: a folder it can write, for this version of the
source only, entries that load, and whether the first run must compile.

numba checks a cached kernel against its own file's date and size only: a kernel whose file is
unchanged but which reads a constant or calls a function of another module that changed (a flag
bit, a state code) is served stale, and gives other results without any error (seen here: a
merge that changed sim/population.py left Western Balkans COVID-19 at 172 migrant infections in
120 days instead of 774). So `choose_folder` (run before any kernel module is imported) keeps the
cache in a folder named by the SHA-256 of every source file of the package
(`~/.cache/migration-health-sim/numba/<fingerprint>`, under NUMBA_CACHE_DIR if the user set one,
or in the temporary directory if neither is writable): any change of the source starts an empty
cache, and worktrees or versions side by side never share one. A cache file cut
short (a full disk, a killed process) makes every later run fail as numba loads it:
`remove_corrupt_entries` deletes such files before a run, and numba compiles them again.
"""

import hashlib
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
PACKAGE_CACHE = Path("migration-health-sim") / "numba"
CHOSEN = "MIGRATION_SIM_NUMBA_CACHE"  # the folder choose_folder set, so worker processes keep it


def writable(folder: Path) -> bool:
    """The folder exists and can be written, or can be made in a writable parent."""
    while not folder.exists():
        if folder.parent == folder:
            return False
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def fingerprint(package_dir: Path = PACKAGE_DIR) -> str:
    """The SHA-256 (first 16 hex digits) of the package's Python sources, paths and bytes."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def choose_folder() -> None:
    """Point numba (NUMBA_CACHE_DIR, inherited by sweep workers) at the cache folder of this
    source: under the user's NUMBA_CACHE_DIR if set, else the user's cache folder, else the
    temporary directory when that is read-only."""
    chosen = os.environ.get(CHOSEN)
    if chosen and os.environ.get("NUMBA_CACHE_DIR") == chosen:
        numba.config.CACHE_DIR = chosen  # a worker of a run that chose it
        return
    user_set = os.environ.get("NUMBA_CACHE_DIR")
    user_wide = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / PACKAGE_CACHE
    base = Path(user_set) if user_set else user_wide if writable(user_wide) else (
        Path(tempfile.gettempdir()) / f"migration-sim-numba-{os.getuid()}")
    folder = str(base / fingerprint())
    os.environ["NUMBA_CACHE_DIR"] = os.environ[CHOSEN] = folder
    numba.config.CACHE_DIR = folder
    if not user_set and base != user_wide:
        log.info("numba cache: %s is read-only; caching in %s", user_wide, folder)


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
