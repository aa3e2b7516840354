# Behaviour probes: new calls of the candidate's functions, made from the calls the tests made,
# so that they stay in the tests' domain. For calls of one function with the same number of
# arguments and the same keywords: one argument (or one element of one, at any depth) taken
# from another such call, and an integer between two that the calls had at the same place.
# Never a call the tests made; the same probes for any order of the calls. Part of
# harness.py's source (the daemon joins the files); docs/testing.md describes them.
import json

MAX_PROBES = 32
MAX_PARTNERS = 16  # calls of one shape recombined with each other (the first, in sorted order)


def leaves(value, path, out):
    """Every scalar (or empty container) of `value` by its path of keys and indexes."""
    if type(value) is list and value:
        for i, item in enumerate(value):
            leaves(item, path + (i,), out)
    elif type(value) is dict and value:
        for key in sorted(value):
            leaves(value[key], path + (key,), out)
    else:
        out[path] = value
    return out


def with_leaf(call, path, leaf):
    probe = json.loads(json.dumps(call))
    node = probe
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = leaf
    return probe


def derive_probes(calls, limit=MAX_PROBES):
    known, by_shape = set(), {}
    for call in calls:
        key = json.dumps(call, sort_keys=True)
        if key in known:
            continue
        known.add(key)
        shape = json.dumps([call["function"], len(call["args"]), sorted(call["kwargs"])])
        by_shape.setdefault(shape, []).append(call)
    probes = []

    def add(probe):
        key = json.dumps(probe, sort_keys=True)
        if len(probes) < limit and key not in known:
            known.add(key)
            probes.append(probe)

    for shape in sorted(by_shape):
        group = sorted(by_shape[shape], key=lambda c: json.dumps(c, sort_keys=True))
        found = [leaves({"args": c["args"], "kwargs": c["kwargs"]}, (), {}) for c in group]
        integers = {}
        for mine in found:
            for path, value in mine.items():
                if type(value) is int:
                    integers.setdefault(path, set()).add(value)
        partners = found[:MAX_PARTNERS]  # bounded work: 256 calls would make 65536 pairs
        for call, mine in zip(group[:MAX_PARTNERS], partners):
            for path, value in sorted(mine.items(), key=lambda item: repr(item[0])):
                for theirs in partners:
                    if len(probes) >= limit:
                        return probes
                    other = theirs.get(path)
                    if path in theirs and type(other) is type(value) and other != value:
                        add(with_leaf(call, path, other))
        for path in sorted(integers, key=repr):
            values = sorted(integers[path])
            for low, high in zip(values, values[1:]):
                if high - low >= 2 and type(found[0].get(path)) is int:
                    add(with_leaf(group[0], path, low + (high - low) // 2))
    return probes
