"""Input files: read once, fingerprinted, and parsed by the project's one YAML loader.

Every input file a run reads (the scenario now; series or targets files later) goes through
`read_input`: its bytes are read once, hashed (the run's identity includes the hash, so an edited
file is never mistaken for the one a finished run used) and parsed from those same bytes.

The YAML loader is libyaml's C parser where installed (PyYAML's pure-Python parser otherwise, 50
times slower) with plain data only (no tags, no code), read by YAML 1.2's rules: `true`/`false`,
decimal, `0o` octal and `0x` hex integers, floats with `.inf` and `.nan`, no dates (a date stays
text for the schema to check). Forms that YAML 1.1 tools read otherwise (`yes`, `no`, `on`, `off`,
`0200`, `1_000`, `1:30`) are refused, not guessed, as are duplicate keys. Every failure, from a
file that is not UTF-8 to nesting too deep, is a `ConfigError` naming the file and the line.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from sim.errors import ConfigError, Problem

MAX_FILE_BYTES = 64 * 2**20  # a route of 32,767 nodes and as many edges is about 10 MB
MAX_DEPTH = 32  # a scenario nests five levels deep
MAX_VALUES = 2_000_000  # values in a file, counting each use of an alias again
MAX_TEXT = 100_000  # characters in one text value
MAX_DIGITS = 30  # digits in one integer (every count the model holds has at most 19)

AMBIGUOUS = "tag:migration-sim:ambiguous"
BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class InputFile:
    """One input file as read: where it is and the SHA-256 of its bytes."""

    path: str
    sha256: str


class DataLoader(BaseLoader):
    """Plain YAML data by YAML 1.2's core schema, refusing duplicate keys and ambiguous scalars."""

    yaml_implicit_resolvers: dict = {}

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                if isinstance(key_node, yaml.ScalarNode):
                    key = (key_node.tag, key_node.value)  # as written: no need to construct it twice
                else:
                    try:
                        key = hash(self.construct_object(key_node, deep=True)), key_node.tag
                    except TypeError:
                        continue  # an unhashable key: the base constructor says so
                first = seen.setdefault(key, key_node)
                if first is not key_node:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping", node.start_mark,
                        f"duplicate key {key_node.value!r} (first given on line {first.start_mark.line + 1})"
                        if isinstance(key_node, yaml.ScalarNode) else
                        f"duplicate key (first given on line {first.start_mark.line + 1})", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        text = self.construct_scalar(node).replace("+", "")
        digits = text.lstrip("-")
        if len(digits) > MAX_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"an integer of {len(digits)} digits (at most {MAX_DIGITS})", node.start_mark)
        if digits.startswith(("0o", "0x")):
            return int(text, 0)
        return int(text)

    def construct_yaml_float(self, node):
        text = self.construct_scalar(node).lower().replace("+", "")
        if text.lstrip("-") == ".inf":
            return float("-inf" if text.startswith("-") else "inf")
        if text == ".nan":
            return float("nan")
        return float(text)

    def construct_not_plain(self, node):
        raise yaml.constructor.ConstructorError(
            None, None, f"plain data only: {node.tag.rsplit(':', 1)[-1]!r} values are not read", node.start_mark)

    def construct_ambiguous(self, node):
        text = self.construct_scalar(node)
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} means different things in YAML 1.1 and 1.2: "
            "write true or false, a plain decimal number, or put the text in quotes", node.start_mark)


# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), and the YAML 1.1 forms
# it reads differently, which are refused
RESOLVERS = (
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (AMBIGUOUS, r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$", "yYnNoO"),
    (AMBIGUOUS, r"^[-+]?(?:0[0-9]+|0b[01_]+|[0-9][0-9_]*_[0-9_]*|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$",
     "-+0123456789"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
)
for tag, pattern, first in RESOLVERS:
    DataLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))
DataLoader.add_constructor("tag:yaml.org,2002:int", DataLoader.construct_yaml_int)
DataLoader.add_constructor("tag:yaml.org,2002:float", DataLoader.construct_yaml_float)
DataLoader.add_constructor(AMBIGUOUS, DataLoader.construct_ambiguous)
for tag in ("binary", "set", "omap", "pairs", "timestamp"):
    DataLoader.add_constructor(f"tag:yaml.org,2002:{tag}", DataLoader.construct_not_plain)


def read_input(path) -> tuple[object, InputFile]:
    """The YAML data of an input file and the record of the file read, or a ConfigError."""
    path = Path(path)
    raw = read_bytes(path)
    text = decoded(raw, str(path))
    return parse_yaml(text, str(path)), InputFile(str(path.resolve()), hashlib.sha256(raw).hexdigest())


def read_bytes(path: Path) -> bytes:
    def refuse(allowed: str):
        return ConfigError(str(path), [Problem("(file)", str(path), allowed)])

    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise refuse("file not found") from None
    except IsADirectoryError:
        raise refuse("a file, not a folder") from None
    except OSError as error:
        raise refuse(f"cannot be read: {error.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise refuse(f"at most {MAX_FILE_BYTES // 2**20} MB")
    return raw


def line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def decoded(raw: bytes, source: str) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), nothing else."""
    def refuse(where: str, allowed: str):
        return ConfigError(source, [Problem(where, "not UTF-8 text", allowed)])

    for mark, encoding in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                           (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if raw.startswith(mark):
            raise refuse("(file)", f"the file is saved as {encoding}: save it as UTF-8")
    if b"\x00" in raw:
        raise refuse(f"line {line_of(raw, raw.index(0))}",
                     "a text file (this one holds binary data, or is UTF-16 without a byte-order mark)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        byte = raw[error.start]
        raise refuse(f"line {line_of(raw, error.start)}",
                     f"UTF-8 text (byte 0x{byte:02x} is not; saved as Latin-1 or Windows-1252? save it as UTF-8)") from None


def parse_yaml(text: str, source: str) -> object:
    try:
        data = yaml.load(text, Loader=DataLoader)  # noqa: S506  DataLoader builds plain data only
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        what = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(source, [Problem(where, "malformed YAML", f"plain YAML data only ({what})")]) from None
    except (ValueError, OverflowError, RecursionError) as error:  # a value no constructor can hold
        raise ConfigError(source, [Problem("(file)", "malformed YAML", f"plain YAML data only ({error})")]) from None
    problem = shape_problem(data)
    if problem:
        raise ConfigError(source, [Problem("(file)", "too large", problem)])
    return data


def shape_problem(data) -> str | None:
    """Why the data is too deep or too large to check, or None. Iterative, and stops at the first
    limit passed, so an alias bomb (a value used a million times over) is caught quickly."""
    stack, values = [(data, 1)], 0
    while stack:
        item, depth = stack.pop()
        values += 1
        if values > MAX_VALUES:
            return f"at most {MAX_VALUES:,} values (counting each use of an alias)"
        if depth > MAX_DEPTH:
            return f"nested at most {MAX_DEPTH} levels deep"
        if isinstance(item, str) and len(item) > MAX_TEXT:
            return f"text values of at most {MAX_TEXT:,} characters"
        if isinstance(item, dict):
            stack.extend((value, depth + 1) for pair in item.items() for value in pair)
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)
    return None
