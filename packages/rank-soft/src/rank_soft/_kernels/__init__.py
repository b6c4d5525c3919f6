"""rank-soft's numba kernels (``@kernel`` functions only; validation lives in the wrappers)."""
