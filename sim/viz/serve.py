"""Serve the page offline: `migration-sim view` or `python -m sim.viz`.

Solara serves its JavaScript from the `solara-assets` package; nothing may come from a CDN at
run time (there may be no network). Three settings make that hold (ECOSYSTEM.md):
`--production` (no hidden iframe from Solara's site), telemetry off, and an assets folder in
which the version ranges the Vega-Lite widget asks for (`vega@5`, `vega-lite@5`, `vega-embed@6`)
name the versions solara-assets ships: without them the server tries the CDN and the map and
curves stay empty.
"""

import argparse
import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
# Version ranges the Vega-Lite widget (solara/widgets/vue/vegalite.vue) loads, and the package
# names whose shipped version answers them.
VERSION_RANGES = {"vega@5": "vega@5.", "vega-lite@5": "vega-lite@5.", "vega-embed@6": "vega-embed@6."}


def shipped_assets() -> Path:
    """Where solara-assets put its copies of the CDN packages."""
    folder = Path(sys.prefix) / "share" / "solara" / "cdn"
    if not (folder / "requirejs@2.3.6").is_dir():
        raise SystemExit(f"error: no Solara assets in {folder}: the page needs the viz extra "
                         "(pip install -e \".[viz]\"), which installs solara-assets")
    return folder


def offline_assets(cache: Path) -> Path:
    """A folder with every shipped asset package (linked) and the version ranges the page asks
    for; made again on each start, so it follows the installed solara-assets."""
    shipped = shipped_assets()
    cache.mkdir(parents=True, exist_ok=True)
    for link in cache.iterdir():
        if link.is_symlink():
            link.unlink()
    for package in shipped.iterdir():
        (cache / package.name).symlink_to(package, target_is_directory=package.is_dir())
    for wanted, prefix in VERSION_RANGES.items():
        versions = sorted(p.name for p in shipped.iterdir() if p.name.startswith(prefix))
        if not versions:
            raise SystemExit(f"error: solara-assets in {shipped} has no {wanted}")
        (cache / wanted).symlink_to(shipped / versions[-1], target_is_directory=True)
    return cache


def server_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "solara", "run", str(APP), "--host", host, "--port", str(port),
            "--production", "--no-open"]


def server_environment(home: Path) -> dict[str, str]:
    """The environment of the server: telemetry off, Solara's own folder and the assets folder
    under `home`, and a session ended a minute after its browser tab closed (Solara keeps it a
    day by default, and a model left playing would go on using a core)."""
    return {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_HOME": str(home / "solara"),
            "SOLARA_ASSETS_PROXY_CACHE_DIR": str(offline_assets(home / "assets")), "SOLARA_KERNEL_CULL_TIMEOUT": "1m"}


def default_home() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "migration-health-sim" / "view"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="migration-sim view", description="Serve the browser page, offline.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--outputs", type=Path, default=Path("outputs/view"),
                        help="where comparisons made in the page are saved (default: outputs/view)")
    args = parser.parse_args(argv)
    environment = server_environment(default_home())
    environment["MIGRATION_SIM_VIEW_OUTPUTS"] = str(args.outputs.resolve())
    print(f"serving the page at http://{args.host}:{args.port} (Ctrl+C stops it)", flush=True)
    command = server_command(args.host, args.port)
    os.execve(command[0], command, environment)
