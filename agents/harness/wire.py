# The harness's side of the wire: what may cross from the candidate, decoded strictly into
# values of exactly the built-in types (never a subclass, never an object of the candidate's),
# and what the test may send. docs/testing.md lists the types; candidate_server.py is the
# other side. Part of harness.py's source (the daemon joins the files).
import binascii
import json


class Malformed(Exception):
    """The candidate sent something that is not plain data as the wire defines it."""


class Handle:
    """One of the candidate's objects, left in its sandbox. Its methods, attributes, len(),
    indexing, iteration, `in` and str() cross as calls; it compares equal only to itself and
    has no truth value, so an object that claims to equal anything or to be true proves
    nothing here."""

    __slots__ = ("_session", "_generation", "_ref")

    def __init__(self, session, generation, ref):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_generation", generation)
        object.__setattr__(self, "_ref", ref)

    def _ask(self, op, **fields):
        return self._session.ask_handle(self, op, fields)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._session.get(self, [name])

    def __setattr__(self, name, value):
        raise TypeError("a test cannot set attributes of the candidate's objects")

    def __call__(self, *args, **kwargs):
        return self._session.call(self, [], args, kwargs)

    def __len__(self):
        return self._ask("len")

    def __getitem__(self, key):
        return self._ask("getitem", key=key)

    def __setitem__(self, key, item):
        self._ask("setitem", key=key, item=item)

    def __contains__(self, item):
        return self._ask("contains", item=item)

    def __iter__(self):
        return iter(self._ask("list"))

    def __str__(self):
        return self._ask("str")

    def __repr__(self):
        return self._ask("repr")

    def __eq__(self, other):
        return other is self or (type(other) is Handle and other._generation == self._generation
                                 and other._ref == self._ref)

    def __hash__(self):
        return hash((self._generation, self._ref))

    def __bool__(self):
        raise TypeError("the candidate's object has no truth value in a test: compare a plain "
                        "value it returns instead")


def decode(value, make_handle, depth=0):
    """A value parsed from the candidate's JSON, rebuilt from exact built-in types."""
    if depth > 200:
        raise Malformed("nested deeper than 200 levels")
    kind = type(value)
    if value is None or kind in (bool, int, str, float):
        return value
    if kind is list:
        return [decode(v, make_handle, depth + 1) for v in value]
    if kind is not dict or len(value) != 1:
        raise Malformed("an object that is not one tagged value")
    (tag, body), = value.items()
    try:
        if tag == "ref" and type(body) is int:
            return make_handle(body)
        if tag == "float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "bytes" and type(body) is str:
            return binascii.a2b_base64(body.encode(), strict_mode=True)
        if tag == "complex" and type(body) is list and len(body) == 2 and \
                all(type(v) in (int, float) for v in body):
            return complex(*body)
        if type(body) is not list:
            raise Malformed("a %r that is not a list" % tag)
        if tag == "dict":
            return {decode_key(pair, 0, make_handle, depth): decode_key(pair, 1, make_handle, depth)
                    for pair in body}
        items = [decode(v, make_handle, depth + 1) for v in body]
        if tag == "tuple":
            return tuple(items)
        if tag == "set":
            return set(items)
        if tag == "frozenset":
            return frozenset(items)
    except (TypeError, ValueError, binascii.Error) as error:  # unhashable keys, bad base64
        raise Malformed("%s: %s" % (tag, error))
    raise Malformed("unknown tag %r" % tag)


def decode_key(pair, index, make_handle, depth):
    if type(pair) is not list or len(pair) != 2:
        raise Malformed("a dict entry that is not a [key, value] pair")
    return decode(pair[index], make_handle, depth + 1)


def encode(value, ref_of, depth=0):
    """What the test sends: plain data and the candidate's own objects (as handles)."""
    if depth > 200:
        raise TypeError("a test argument nested deeper than 200 levels")
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        value = float(value)
        return value if value == value and abs(value) != float("inf") else {"float": repr(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": binascii.b2a_base64(bytes(value), newline=False).decode()}
    if isinstance(value, complex):
        return {"complex": [value.real, value.imag]}
    if isinstance(value, list):
        return [encode(v, ref_of, depth + 1) for v in value]
    for kind, tag in ((tuple, "tuple"), (frozenset, "frozenset"), (set, "set")):
        if isinstance(value, kind):
            return {tag: [encode(v, ref_of, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode(k, ref_of, depth + 1), encode(v, ref_of, depth + 1)]
                         for k, v in value.items()]}
    if type(value) is Handle:
        return {"ref": ref_of(value)}
    raise TypeError("cannot send %s to the candidate: only plain data and the candidate's own "
                    "objects cross" % type(value).__name__)


def canonical(value):
    """A stable text for a decoded value: equal behaviour gives equal text."""
    def plain(v):
        if type(v) is Handle:
            return {"handle": True}
        if type(v) is float and v != v:
            return {"float": "nan"}
        if type(v) in (list, tuple):
            return [type(v).__name__, [plain(x) for x in v]]
        if type(v) in (set, frozenset):
            return [type(v).__name__, sorted(json.dumps(plain(x), sort_keys=True) for x in v)]
        if type(v) is dict:
            return ["dict", sorted([json.dumps(plain(k), sort_keys=True), plain(x)]
                                   for k, x in v.items())]
        if type(v) is bytes:
            return {"bytes": binascii.b2a_base64(v, newline=False).decode()}
        if type(v) is complex:
            return {"complex": [v.real, v.imag]}
        if type(v) is float and abs(v) == float("inf"):
            return {"float": repr(v)}
        return [type(v).__name__, v]
    return json.dumps(plain(value), sort_keys=True)
