"""Every programme kind there is: the `Programme` subclasses of the modules in this package.

A new programme is a new module here with one subclass; nothing else lists it. They run in the
order of their stage, then their rank.
"""

import importlib
import pkgutil
from functools import cache

from sim.programme import Programme, ProgrammeConfig

PACKAGE = "sim.programmes"


@cache
def programme_classes() -> tuple[type[Programme], ...]:
    """Each programme kind, in the order they run."""
    package = importlib.import_module(PACKAGE)
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{PACKAGE}.{module.name}")
    found = [cls for cls in subclasses(Programme) if "kind" in vars(cls)]
    kinds = [cls.kind for cls in found]
    twice = sorted({kind for kind in kinds if kinds.count(kind) > 1})
    if twice:
        raise TypeError(f"programme kinds declared twice: {twice}")
    unscheduled = [cls.__name__ for cls in found if not issubclass(cls.Config, ProgrammeConfig)]
    if unscheduled:  # every programme has start_day and end_day, applied by the model
        raise TypeError(f"programme configs that are not a sim.programme.ProgrammeConfig: {unscheduled}")
    return tuple(sorted(found, key=lambda cls: (cls.stage.value, cls.rank, cls.kind)))


def subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]


def by_kind() -> dict[str, type[Programme]]:
    return {cls.kind: cls for cls in programme_classes()}
