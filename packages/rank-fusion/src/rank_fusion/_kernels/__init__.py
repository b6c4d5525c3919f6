"""Numba kernels: flat arrays and offsets in, arrays out; no Python objects."""
