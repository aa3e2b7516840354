from calc import average, clamp


def test_average_of_one():
    assert average([4]) == 4


def test_average_of_three():
    assert average([1, 2, 6]) == 3


def test_average_of_floats():
    assert average([0.5, 1.5]) == 1.0


def test_clamp():
    assert clamp(5, 0, 3) == 3
    assert clamp(-1, 0, 3) == 0
