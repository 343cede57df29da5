"""Prices for a small shop."""


def total(prices: list[float], discount: float = 0.0) -> float:
    """The sum of `prices`, reduced by `discount` (0.1 means 10% off)."""
    subtotal = sum(prices)
    return round(subtotal * (1 + discount), 2)
