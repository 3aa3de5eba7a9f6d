"""A model's state on a day, saved to a folder and restored into a new model: continue a run,
fork it into policy arms from the same day, or start from a state built elsewhere.

A saved state is a folder with `state.npz` (every array: the people's columns, the recorder so
far, each programme's arrays, the host communities, the water, the contact structure's sums) and
`manifest.json` (the day, what the state belongs to, the structure of the objects the arrays came
from, their scalars, and the SHA-256 of `state.npz`), each written atomically, the manifest last:
a folder without a manifest that verifies is not a saved state.

What is saved is found by walking the model's stateful parts (`PARTS`) the same way on saving and
on restoring: arrays, numbers, texts and containers of them are saved; objects of this package
are walked into; the model, the route, the disease, configurations and Mesa's cells are the run's
constants, rebuilt from its configuration, and are skipped. A value of any other type is an error
when saving (`TypeError`), never silently left out. Mesa agents of the model (a `Site`) are saved
as their node index.

A state resumes only in a run of the same scenario (its input files' hashes, or the edited
graph's), disease and package version (`ConfigError` otherwise, before any day is run). The
policy, the days, the seed and the optional events may differ. Each programme of the resumed
policy that the saved run had with the same configuration and seed carries on from its saved
state; one that is new, configured otherwise or run with another seed (it keeps keys drawn from
its seed) starts on the resume day as it would on its start_day,
and the person columns of a kind the saved run did not have are set for everyone on the route as
on arrival (`Programme.on_arrival`). Random numbers are keyed by seed, stream, day and person,
so arms forked from one state with the same seed draw the same numbers after the fork.

`observe(model, csv)` makes a day-0 state from people observed at the sites (by node, origin and
natural-history state) instead of the scenario's initial groups; saved, runs start from it.
"""

import csv
import datetime
import enum
import hashlib
import io
import json
from pathlib import Path

import networkx as nx
import numpy as np
from pydantic import BaseModel

from sim import results
from sim.errors import ConfigError, Problem
from sim.fields import MAX_COUNT
from sim.inputs import decoded, read_bytes
from sim.results import strict_json, write_atomically
from sim.scenario import graph_data

FORMAT = 1
ARRAYS, MANIFEST = "state.npz", "manifest.json"
PARTS = ("people", "arrivals", "recorder", "hosts", "reservoir", "contacts", "programmes")
CONSTANT_ATTRIBUTES = {"model", "programme", "config", "graph", "routes", "disease", "states", "on_arrival", "space",
                       "sites", "cell", "traits", "policy", "flow", "initial", "running", "by_stage", "columns",
                       "flag_bits", "days", "seed"}
# `running` is walked by its owner's saved_by_key (the programmes by kind and name); elsewhere a list of
# programmes or mesa's flag, both rebuilt. `days`, `columns`, `flag_bits`, `seed`: the run's own (a
# resumed run may be longer, run another policy, or draw with another seed)


class Walk:
    """Turns objects into a JSON tree plus named arrays (`save`), and back (`restore`)."""

    def __init__(self, model, arrays: dict | None = None, same_seed: bool = True):
        self.model = model
        self.arrays = {} if arrays is None else arrays
        self.same_seed = same_seed  # programmes keep keys drawn from the seed: carried on only with it

    # ---------------------------------------------------------------- saving

    def tree(self, value, path: str, contained: bool = False):
        """`contained`: inside a list, tuple or dict, which are restored whole, so an object
        there (restored into the one a new run has) is an error."""
        if isinstance(value, np.ndarray):
            key = f"a{len(self.arrays)}"
            self.arrays[key] = value
            return {"array": key}
        if isinstance(value, np.generic):
            return {"scalar": value.item(), "dtype": value.dtype.str}
        if value is None or isinstance(value, (bool, int, str)):
            return {"value": value}
        if isinstance(value, float):
            return {"float": value.hex()}
        if isinstance(value, datetime.date):
            return {"date": value.isoformat()}
        if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple: its fields
            return {"namedtuple": [self.tree(item, f"{path}.{name}", True) for name, item in zip(value._fields, value)]}
        if isinstance(value, (list, tuple)):
            return {"list" if isinstance(value, list) else "tuple": [self.tree(item, f"{path}[{i}]", True)
                                                                     for i, item in enumerate(value)]}
        if isinstance(value, dict) and all(isinstance(key, (str, int)) for key in value):
            return {"dict": [[key, self.tree(item, f"{path}.{key}", True)] for key, item in value.items()]}
        if hasattr(value, "index") and value is self.site(value):
            return {"site": value.index}
        if is_package_object(value) and not contained:
            return {"object": self.attributes(value, path)}
        raise TypeError(f"cannot save {path}: a {type(value).__module__}.{type(value).__qualname__} (save arrays, numbers, "
                        "texts and containers of them, or objects of the sim package)")

    def attributes(self, obj, path: str) -> dict:
        saved = {}
        for name, value in vars(obj).items():
            if name in CONSTANT_ATTRIBUTES or is_constant(value):
                continue
            saved[name] = self.tree(value, f"{path}.{name}")
        if hasattr(obj, "saved_by_key"):  # the programmes of a run, by kind and name, with their configs
            saved["running"] = {"programmes": {key: {"config": config_json(p.config),
                                                     "state": self.attributes(p, f"{path}.{key}")}
                                               for key, p in obj.saved_by_key().items()}}
        return saved

    def site(self, value):
        sites = getattr(self.model, "sites", [])
        index = getattr(value, "index", None)
        return sites[index] if isinstance(index, int) and 0 <= index < len(sites) else None

    # ---------------------------------------------------------------- restoring

    def value(self, tree):
        if "array" in tree:
            return self.arrays[tree["array"]]
        if "scalar" in tree:
            return np.dtype(tree["dtype"]).type(tree["scalar"])
        if "value" in tree:
            return tree["value"]
        if "float" in tree:
            return float.fromhex(tree["float"])
        if "date" in tree:
            return datetime.date.fromisoformat(tree["date"])
        if "list" in tree:
            return [self.value(item) for item in tree["list"]]
        if "tuple" in tree:
            return tuple(self.value(item) for item in tree["tuple"])
        if "dict" in tree:
            return {key: self.value(item) for key, item in tree["dict"]}
        if "site" in tree:
            return self.model.sites[tree["site"]]
        raise ValueError(f"not a value: {sorted(tree)}")

    def restore(self, obj, saved: dict, days: tuple[int, int]) -> None:
        """Set `obj`'s attributes from `saved`; objects are restored into the ones `obj` has."""
        for name, tree in saved.items():
            if name == "running" and "programmes" in tree:
                self.restore_programmes(obj, tree["programmes"], days)
                continue
            current = getattr(obj, name)
            if "object" in tree:
                self.restore(current, tree["object"], days)
            elif "namedtuple" in tree:
                setattr(obj, name, type(current)(*(self.value(item) for item in tree["namedtuple"])))
            else:
                value = self.fitted(self.value(tree), current, days)
                if isinstance(value, np.ndarray) and isinstance(current, np.ndarray) and (
                        value.dtype != current.dtype or value.shape[1:] != current.shape[1:]):
                    raise ConfigError("resume_from", [Problem(f"{type(obj).__name__}.{name}",
                                      f"{value.dtype}{list(value.shape)}", f"{current.dtype}{list(current.shape)}, as this "
                                      "version of the model keeps it: the state was saved by another version")])
                setattr(obj, name, value)
        if hasattr(obj, "after_restore"):
            obj.after_restore()

    @staticmethod
    def fitted(value, current, days: tuple[int, int]):
        """A record by day (the recorder's, a programme's costs) saved for a run of another length:
        the saved days copied into an array of this run's length."""
        saved_days, run_days = days
        if isinstance(value, dict) and isinstance(current, dict):
            return {key: Walk.fitted(item, current.get(key), days) for key, item in value.items()}
        if (saved_days != run_days and isinstance(value, np.ndarray) and isinstance(current, np.ndarray)
                and value.ndim >= 2 and value.shape[0] == saved_days and current.shape[0] == run_days
                and value.shape[1:] == current.shape[1:]):
            fitted = np.zeros_like(current)
            kept = min(saved_days, run_days)
            fitted[:kept] = value[:kept]
            return fitted
        return value

    def restore_programmes(self, programmes, saved: dict, days: tuple[int, int]) -> None:
        for key, programme in programmes.saved_by_key().items():
            entry = saved.get(key)
            if entry is not None and entry["config"] == config_json(programme.config) and self.same_seed:
                self.restore(programme, entry["state"], days)


def is_package_object(value) -> bool:
    module = type(value).__module__
    return (module == "sim" or module.startswith("sim.")) and hasattr(value, "__dict__")


def is_constant(value) -> bool:
    """What the run rebuilds from its configuration: never saved (a frozen dataclass cannot change)."""
    import mesa
    params = getattr(type(value), "__dataclass_params__", None)
    return (params is not None and params.frozen) or (callable(value) and not isinstance(value, np.ndarray) and not is_package_object(value)) or isinstance(
        value, (BaseModel, nx.Graph, mesa.Model, enum.Enum, type)) or type(value).__module__.startswith(("mesa", "numba"))


def config_json(config) -> str:
    return json.dumps(config.model_dump(mode="json", by_alias=True), sort_keys=True)


def digest(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def belongs_to(model) -> dict:
    """What a saved state may only be resumed in the same of: scenario, disease, package."""
    graph = model.graph
    inputs = [{"path": str(file.path), "sha256": file.sha256} for file in graph.graph.get("inputs", [])]
    scenario = {"name": graph.graph["name"], "sha256": inputs[0]["sha256"] if inputs else digest(graph_data(graph))}
    disease = {"name": model.config.disease.name, "sha256": digest(model.config.disease.model_dump(mode="json", by_alias=True))}
    return {"scenario": scenario, "disease": disease, "package_version": results.package_version()}


OBSERVED_COLUMNS = ("node", "origin", "state", "people")  # and optionally vaccinated


def observe(model, path) -> None:
    """Replace the scenario's initial groups of a model on day 0 by the people observed at the
    sites, from a CSV file (`node,origin,state,people[,vaccinated]`: a node id, an origin code of the
    scenario, a natural-history state of the run's disease, a count, and how many of them had
    their origin's vaccine). They enter on day 0 (sim.arrivals.Arrivals.admit_observed); save the
    model then (`model.save`) for runs to start from with `resume_from`. Every bad cell is reported
    at once, naming the file, the row and the column."""
    if model.day != 0:
        raise ValueError(f"observed people enter on day 0; this model is on day {model.day}")
    source = str(path)
    text = decoded(read_bytes(Path(path)), source)
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [column for column in OBSERVED_COLUMNS if column not in header]
    unknown = [column for column in header if column not in (*OBSERVED_COLUMNS, "vaccinated")]
    if missing or unknown:
        raise ConfigError(source, [Problem("header", ",".join(header), f"the columns {', '.join(OBSERVED_COLUMNS)} "
                                           "and optionally vaccinated" + (f" (missing: {', '.join(missing)})" if missing else "")
                                           + (f" (unknown: {', '.join(unknown)})" if unknown else ""))])
    nodes, codes, disease = model.routes.node_ids, model.arrivals.traits.codes, model.disease
    states = [name for i, name in enumerate(disease.names)  # not dead, nor a state only a programme enters
              if i in (disease.susceptible, disease.recovered) or (disease.visit_probability[i] > 0 and i != disease.dead)]
    rows, problems = {name: [] for name in ("node", "origin", "state", "people", "vaccinated")}, []

    def cell(line: int, column: str, value, allowed: list | None = None, count: bool = False):
        if count:
            try:
                number = int(value)
                if number >= 0 and str(number) == value.strip():
                    return number
            except (TypeError, ValueError):
                pass
            problems.append(Problem(f"row {line}, column {column}", value, "a whole number, 0 or more"))
            return 0
        if value not in allowed:
            problems.append(Problem(f"row {line}, column {column}", value, f"one of {allowed[:12]}" + (" ..." if len(allowed) > 12 else "")))
            return 0
        return allowed.index(value)

    for line, row in enumerate(reader, start=2):
        people = cell(line, "people", row["people"], count=True)
        vaccinated = cell(line, "vaccinated", row.get("vaccinated") or "0", count=True)
        if vaccinated > people:
            problems.append(Problem(f"row {line}, column vaccinated", vaccinated, f"at most the row's people ({people})"))
        rows["node"].append(cell(line, "node", row["node"], list(nodes)))
        rows["origin"].append(cell(line, "origin", row["origin"], list(codes)))
        rows["state"].append(disease.names.index(states[cell(line, "state", row["state"], states)]))
        rows["people"].append(people)
        rows["vaccinated"].append(vaccinated)
    if sum(rows["people"]) > MAX_COUNT // 2:
        problems.append(Problem("people", sum(rows["people"]), f"at most {MAX_COUNT // 2:,} in all"))
    if problems:
        raise ConfigError(source, problems)
    model.arrivals.observed = {name: np.array(values, dtype=np.int64) for name, values in rows.items()}


def save(model, path) -> Path:
    """Save the model's state at the start of its next day (`model.day`) into the folder `path`."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    walk = Walk(model)
    parts = {name: walk.tree(getattr(model, name), name) for name in PARTS}
    mesa_state = {"steps": model.steps, "time": getattr(model, "time", None), "random": model.random.getstate(),
                  "rng": model.rng.bit_generator.state}
    write_atomically(folder / ARRAYS, lambda temporary: np.savez(open(temporary, "wb"), **walk.arrays))
    manifest = {
        "format": FORMAT,
        "day": model.day,
        "days": model.config.days,
        "belongs_to": belongs_to(model),
        "seed": model.config.seed,
        "policy": model.config.policy.name,
        "columns": [column.name for column in model.people.columns],
        "metrics": list(model.recorder.migrant_names),
        "flag_bits": {name: int(bit) for name, bit in model.people.flag_bits.bits.items()},
        "protection_levels": [float(value).hex() for value in model.protection.values],
        "mesa": json.loads(json.dumps(mesa_state)),
        "parts": parts,
        "arrays_sha256": file_sha256(folder / ARRAYS),
    }
    write_atomically(folder / MANIFEST, lambda temporary: Path(temporary).write_text(strict_json(manifest)))
    return folder


def file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def read_manifest(path) -> dict:
    folder = Path(path)
    source = str(folder)
    if not (folder / MANIFEST).is_file() or not (folder / ARRAYS).is_file():
        raise ConfigError("config", [Problem("resume_from", source, f"a folder written by RouteModel.save (with {MANIFEST} "
                                                                    f"and {ARRAYS})")])
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(source, [Problem(MANIFEST, str(error), "the JSON RouteModel.save writes")]) from None
    if manifest.get("format") != FORMAT:
        raise ConfigError(source, [Problem(f"{MANIFEST}: format", manifest.get("format"), f"format {FORMAT}")])
    if file_sha256(folder / ARRAYS) != manifest["arrays_sha256"]:
        raise ConfigError(source, [Problem(ARRAYS, "(changed since it was saved)", f"the file whose SHA-256 {MANIFEST} holds")])
    return manifest


def saved_protections(path) -> list[float]:
    """The vaccine protections people of a saved state have (a run resuming it keeps them, even
    under a policy that gives no such dose)."""
    return [float.fromhex(value) for value in read_manifest(path)["protection_levels"]]


def resume_problems(manifest: dict, model) -> list[Problem]:
    """Why a saved state cannot be resumed in this model's run."""
    problems, now = [], belongs_to(model)
    saved = manifest["belongs_to"]
    for part, what in (("scenario", "scenario"), ("disease", "disease"), ("package_version", "package version")):
        if saved[part] != now[part]:
            problems.append(Problem(f"resume_from ({what})", describe(saved[part]),
                                    f"a state saved by a run of this {what}: {describe(now[part])}"))
    if manifest.get("metrics") != list(model.recorder.migrant_names):
        problems.append(Problem("resume_from (metrics)", f"{len(manifest.get('metrics') or [])} metrics",
                                f"the {len(model.recorder.migrant_names)} metrics this version of the model records: "
                                "the state was saved by another version (with the same package version)"))
    bits = model.people.flag_bits.bits
    moved = [name for name, bit in manifest["flag_bits"].items() if name in bits and int(bits[name]) != bit]
    if moved:
        problems.append(Problem("policy", model.config.policy.name, f"a policy whose programmes' flag bits {moved} are "
                                f"where the saved run ({manifest['policy']}) had them: list its kinds in the same order"))
    if manifest["day"] >= model.config.days:
        problems.append(Problem("days", model.config.days, f"more than the saved state's day {manifest['day']}: days "
                                                            f"{manifest['day']} to {model.config.days - 1} are run"))
    return problems


def describe(part) -> str:
    if isinstance(part, dict):
        return f"{part['name']} (SHA-256 {part['sha256'][:12]})"
    return str(part)


def restore(model, path) -> None:
    """Put the saved state in `path` into `model`, a new RouteModel of a run it may resume in."""
    manifest = read_manifest(path)
    problems = resume_problems(manifest, model)
    if problems:
        raise ConfigError(str(path), problems)
    with np.load(Path(path) / ARRAYS, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    saved_levels = np.array([float.fromhex(value) for value in manifest["protection_levels"]])
    fresh_columns = [column for column in model.people.columns if column.name not in manifest["columns"]]
    walk = Walk(model, arrays, same_seed=manifest["seed"] == model.config.seed)
    days = (manifest["days"], model.config.days)
    people_tree = manifest["parts"]["people"]["object"]
    for column in fresh_columns:  # a kind the saved run did not have: filled as on arrival, below
        people_tree[column.name] = {"array": None}
    columns = {column.name: column for column in model.people.columns}
    for name, tree in list(people_tree.items()):
        if "array" in tree and name in columns:
            if tree["array"] is None:
                saved_rows = arrays[people_tree["where"]["array"]].shape[0]
                people_tree[name] = {"array": f"fresh_{name}"}
                arrays[f"fresh_{name}"] = np.full(saved_rows, columns[name].fill, dtype=columns[name].dtype)
        elif "array" in tree:  # a column of a kind this run does not have
            del people_tree[name]
    for name in PARTS:
        tree = manifest["parts"][name]
        if "object" in tree:
            walk.restore(getattr(model, name), tree["object"], days)
    people = model.people
    held = saved_levels[people.protection]  # the protection each person has, by value, in this run's levels
    levels = model.protection.level(held)
    missing = np.unique(held[model.protection.values[np.minimum(levels, len(model.protection.values) - 1)] != held.astype(np.float32)])
    if missing.size:
        raise ConfigError(str(path), [Problem("policy", model.config.policy.name, "a policy that can give the vaccine "
                                              f"protections people of the saved state have ({missing.tolist()}): "
                                              "resume under a policy with the same vaccination programmes")])
    people.protection[:] = levels
    for name, bit in manifest["flag_bits"].items():
        if name not in people.flag_bits.bits:  # a saved programme's bit this run does not read
            people.flags[:] &= np.uint8(~np.uint8(bit))
    if fresh_columns:
        rows = np.arange(people.count)
        vaccinated = people.protection[rows] == model.arrivals.vaccinated_level  # as arrivals mark them
        for programme in model.programmes.running:
            if any(column in programme.columns for column in fresh_columns):
                programme.on_arrival(people, rows, vaccinated)
    model.day = manifest["day"]
    model.running = model.day < model.config.days
    mesa_state = manifest["mesa"]
    model.steps = mesa_state["steps"]
    if mesa_state.get("time") is not None:  # Mesa 3.5 counts time as well as steps
        model.time = mesa_state["time"]
    version, internal, gauss = mesa_state["random"]
    model.random.setstate((version, tuple(internal), gauss))
    model.rng.bit_generator.state = mesa_state["rng"]
