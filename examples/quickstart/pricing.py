"""Prices for a small shop."""


def apply_discount(price: float, percent: float) -> float:
    """`price` reduced by `percent` percent: apply_discount(200, 10) == 180."""
    return price + price * percent / 100


def total(prices: list[float], percent: float = 0.0) -> float:
    """The sum of `prices`, each reduced by `percent` percent."""
    return round(sum(apply_discount(p, percent) for p in prices), 2)
