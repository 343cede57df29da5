"""Helpers shared by the test suite (test servers, fixtures, schema checks)."""
