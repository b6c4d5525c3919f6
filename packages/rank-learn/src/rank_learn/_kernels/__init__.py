"""Numba kernels: arrays in, arrays out, no Python objects (DESIGN.md section 5)."""
