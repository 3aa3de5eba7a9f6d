"""Ships conf/ and scenarios/ inside the package, as sim/shipped/, so an installed wheel runs from
any folder without a checkout. Everything else about the build is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED_FOLDERS = ("conf", "scenarios")


class BuildPyWithShippedData(build_py):
    """build_py, then a fresh copy of each shipped folder into sim/shipped/ of the build."""

    def run(self):
        super().run()
        for folder in SHIPPED_FOLDERS:
            target = Path(self.build_lib) / "sim" / "shipped" / folder
            shutil.rmtree(target, ignore_errors=True)  # no stale files from an earlier build
            shutil.copytree(HERE / folder, target)


setup(cmdclass={"build_py": BuildPyWithShippedData})
