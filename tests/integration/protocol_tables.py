"""Reads the reference tables of docs/protocol.md, so that test_protocol_tables.py can hold
them against a live daemon: the task-spec field table, the pattern table (roles, options,
defaults, ranges) and the event table.

The tables are prose for people, so this reader fixes a few conventions (protocol.md states
them beside the tables) and raises TableError naming the row when a row does not follow
them, rather than skipping it: a row this cannot read would be a row nobody tests.
- Own fields of a field, or the data fields of an event, are a backticked brace group,
  `{a, b?}`, with `?` marking those that may be left out; several groups are alternatives.
- A spec field whose description starts with "required" must be given.
- Pattern roles: `name` (needed), [`name`] (optional), `name` with `"option": value` (needed
  exactly when that option is not at its default).
- Pattern options: `name` (`DEFAULT`, MIN to MAX, or `OTHER`, ...): backticked JSON values,
  the default first.
"""
import json
import os
import re

SPEC_HEADER = "| field | type | what |"
PATTERN_HEADER = "| pattern | roles | options (defaults) |"
EVENT_HEADER = "| type | data |"

BRACES = re.compile(r"`\{([^`{}]*)\}`")
TYPE_NAME = re.compile(r"`([a-z_]+\.[a-z_]+)`")
# An event type where the C++ sources emit one: the literal passed to emit(...), report(...)
# or report_(...), or assigned to an Event's type.
EMITTED = re.compile(r'(?:\bemit|\breport_?)\(\s*"([a-z_]+\.[a-z_]+)"'
                     r'|\.type\s*=\s*"([a-z_]+\.[a-z_]+)"')


class TableError(ValueError):
    pass


def table(text, header):
    """The rows (lists of cells) of the markdown table whose header line is `header`."""
    lines = text.splitlines()
    if header not in lines:
        raise TableError(f"protocol.md has no table headed {header!r}")
    rows = []
    for line in lines[lines.index(header) + 2:]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
        rows.append([cell.strip() for cell in cells])
    if not rows:
        raise TableError(f"the table headed {header!r} has no rows")
    return rows


def fields_of(group):
    """`a, b?` → [("a", False), ("b", True)]: names, and whether each may be left out."""
    fields = []
    for item in filter(None, (part.strip() for part in group.split(","))):
        if not re.fullmatch(r"\w+\??", item):
            raise TableError(f"cannot read the field {item!r} in {{{group}}}")
        fields.append((item.rstrip("?"), item.endswith("?")))
    return fields


def only_name(cell, what):
    match = re.fullmatch(r"`(\w+)`", cell)
    if not match:
        raise TableError(f"{what}: expected one backticked name, found {cell!r}")
    return match.group(1)


class SpecField:
    def __init__(self, name, type_name, required, shapes):
        self.name, self.type, self.required, self.shapes = name, type_name, required, shapes

    def __repr__(self):
        return f"spec field {self.name}"


def spec_fields(text):
    """{name: SpecField} of the task-spec table; `shapes` are the alternatives of its own
    fields (empty for a scalar or a free-form object)."""
    fields = {}
    for row in table(text, SPEC_HEADER):
        if len(row) != 3:
            raise TableError(f"spec table row {row!r}: expected 3 cells")
        name = only_name(row[0], "spec table")
        if row[1] not in ("string", "object", "array", "bool"):
            raise TableError(f"spec field {name}: unknown type {row[1]!r}")
        shapes = [fields_of(group) for group in BRACES.findall(row[2])]
        fields[name] = SpecField(name, row[1], row[2].startswith("required"), shapes)
    return fields


class Option:
    def __init__(self, name, values, bounds):
        self.name = name
        self.default = values[0]
        self.values = values  # every value the table shows, the default first
        self.bounds = bounds  # (min, max) or None

    def __repr__(self):
        return f"option {self.name}"


class Pattern:
    def __init__(self, name):
        self.name = name
        self.required_roles, self.optional_roles = [], []
        self.conditional_roles = {}  # role → {option: value that needs it}
        self.options = {}

    def __repr__(self):
        return f"pattern {self.name}"


def number(text):
    return float(text) if "." in text else int(text)


def parse_roles(pattern, cell):
    for piece in re.split(r",\s*(?=[`\[])", cell):
        piece = piece.strip()
        if match := re.fullmatch(r"`(\w+)`", piece):
            pattern.required_roles.append(match.group(1))
        elif match := re.fullmatch(r"\[`(\w+)`\]", piece):
            pattern.optional_roles.append(match.group(1))
        elif match := re.match(r"`(\w+)` with `([^`]+)`", piece):
            try:
                condition = json.loads("{" + match.group(2) + "}")
            except ValueError as error:
                raise TableError(f"{pattern}: role condition {match.group(2)!r}: {error}")
            pattern.conditional_roles[match.group(1)] = condition
        else:
            raise TableError(f"{pattern}: cannot read the role {piece!r}")


def parse_options(pattern, cell):
    for match in re.finditer(r"`(\w+)` \(([^()]*)\)", cell):
        name, inside = match.groups()
        try:
            values = [json.loads(literal) for literal in re.findall(r"`([^`]+)`", inside)]
        except ValueError as error:
            raise TableError(f"{pattern}, option {name}: a value is not JSON: {error}")
        if not values:
            raise TableError(f"{pattern}, option {name}: no backticked default in ({inside})")
        bounds = re.search(r"(-?\d+(?:\.\d+)?) to (-?\d+(?:\.\d+)?)", inside)
        pattern.options[name] = Option(
            name, values, (number(bounds.group(1)), number(bounds.group(2))) if bounds else None)
    shown = re.findall(r"`(\w+)` \(", cell)
    if len(shown) != len(pattern.options) or not shown and cell:
        raise TableError(f"{pattern}: cannot read every option of {cell!r}")


def patterns(text):
    """{name: Pattern} of the pattern table."""
    found = {}
    for row in table(text, PATTERN_HEADER):
        if len(row) != 3:
            raise TableError(f"pattern table row {row!r}: expected 3 cells")
        pattern = Pattern(only_name(row[0], "pattern table"))
        parse_roles(pattern, row[1])
        parse_options(pattern, row[2])
        found[pattern.name] = pattern
    return found


def events(text):
    """{event type: [data shape, ...]} of the event table; each shape a fields_of list."""
    found = {}
    for row in table(text, EVENT_HEADER):
        if len(row) != 2:
            raise TableError(f"event table row {row!r}: expected 2 cells")
        types = TYPE_NAME.findall(row[0])
        shapes = [fields_of(group) for group in BRACES.findall(row[1])]
        if not types or not shapes:
            raise TableError(f"event table row {row!r}: expected `type` and a `{{data}}` shape")
        for event_type in types:
            if event_type in found:
                raise TableError(f"event {event_type} has two rows")
            found[event_type] = shapes
    return found


def shape_matches(shape, keys):
    """Whether an event's data keys fit a documented shape: every field it must have, and
    none it does not show."""
    names = {name for name, _ in shape}
    required = {name for name, optional in shape if not optional}
    return required <= set(keys) <= names


def show(shape):
    return "{" + ", ".join(name + ("?" if optional else "") for name, optional in shape) + "}"


def emitted_in_sources(source_dir):
    """Event types the C++ sources under agents/, daemon/, gpu/ and sandbox/ emit."""
    found = set()
    for top in ("agents", "daemon", "gpu", "sandbox"):
        for root, _, files in os.walk(os.path.join(source_dir, top)):
            for name in files:
                if name.endswith((".cc", ".h")):
                    with open(os.path.join(root, name), errors="replace") as f:
                        found |= {a or b for a, b in EMITTED.findall(f.read())}
    return found
