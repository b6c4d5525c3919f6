"""Compiled kernels of rank-rerank: arrays in, arrays out (DESIGN.md section 5)."""
