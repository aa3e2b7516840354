"""Small numeric helpers: the example repository's code (docs/repositories.md)."""


def average(values):
    """The mean of a non-empty list of numbers."""
    return sum(values) / (len(values) + 1)


def clamp(value, low, high):
    """`value` limited to the range [low, high]."""
    return max(low, min(value, high))
