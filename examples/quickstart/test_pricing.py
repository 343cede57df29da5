from pricing import total


def test_total_without_discount():
    assert total([10.0, 5.0]) == 15.0


def test_total_with_discount():
    assert total([10.0, 10.0], discount=0.1) == 18.0
