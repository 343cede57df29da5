from pricing import apply_discount, total


def test_apply_discount():
    assert apply_discount(200, 10) == 180


def test_total_without_discount():
    assert total([10.0, 5.0]) == 15.0
