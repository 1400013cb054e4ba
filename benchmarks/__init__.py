"""Benchmarks: they print numbers and never fail a build on a timing (`./dev bench`)."""
