"""Expected failures of the OpInfo judge: op_db entry name -> why jtorch differs.

Each entry is a known, accepted difference; the report lists it as XFAIL instead of FAIL
(it still counts as not fully passing). Keep reasons short and specific.
"""
XFAIL = {
    # Random draws are compared by shape, dtype and support only (compat/_opinfo.py RANDOM),
    # so they need no entry here.
    # Randomized algorithms whose result depends on the random sketch for some samples.
    "svd_lowrank": "samples with M= have rank(A - M) > q: the randomized approximation then depends "
                   "on the Gaussian sketch, which jtorch's PRNG cannot reproduce (exact samples pass)",
    # Which index torch reports among equal values is its selection algorithm's accident.
    "kthvalue": "index among tied integer values differs (torch's quickselect order)",
    "sort": "indices of tied values with stable=False follow torch's unstable CPU sort (jtorch is stable)",
    "argsort": "indices of tied values with stable=False follow torch's unstable CPU sort",
    "topk": "indices of tied integer values follow torch's selection order",
    "mode": "the index reported among tied values follows torch's CPU sort order",
    # Floating-point rounding, not a different result.
    "special.bessel_j0": "float64 near 5 < x < 8: torch's own approximation is 2e-7 from the true "
                         "value (mpmath); jtorch's is closer, the judge's tolerance is 1e-7",
    "special.bessel_y1": "float64 near 5 < x < 8: torch's own approximation is up to 9e-7 from the "
                         "true value (mpmath); jtorch's is closer, the judge's tolerance is 1e-7",
    "matrix_exp": "float32 entries near 1e5 differ by up to 0.08 (both libraries are ~0.03-0.05 "
                  "from the float64 result; the judge's absolute tolerance is 1e-5)",
    # Error inputs the judge cannot hand to jtorch, or where torch's error is an internal assert.
    "amax": "two error inputs are 65-dim tensors, which numpy (the judge's conversion) cannot hold",
    "amin": "two error inputs are 65-dim tensors, which numpy (the judge's conversion) cannot hold",
    "aminmax": "two error inputs are 65-dim tensors, which numpy (the judge's conversion) cannot hold",
    "narrow_copy": "an out-of-range dim: torch 2.13 raises an internal-assert RuntimeError, jtorch "
                   "the IndexError narrow and every other op raise",
    # Dtypes jtorch does not have or support for an op (judged since the report covers every
    # dtype an entry lists).
    "complex": "float16 parts make a complex32 (chalf) tensor in torch; jtorch has no complex32 "
               "and raises TypeError",
    "view_as_complex": "a float16 input views as complex32 (chalf) in torch; jtorch has no complex32",
    "uniform": "Tensor.uniform_ on complex64/complex128 (torch draws real and imaginary parts); "
               "jtorch's in-place samplers accept real floating tensors only",
    "normal.in_place": "Tensor.normal_ on complex64/complex128 (torch draws real and imaginary "
                       "parts); jtorch's in-place samplers accept real floating tensors only",
    # Legacy torch behaviour jtorch does not copy.
    "addbmm": "torch's in-place addbmm_ resizes a smaller self to the broadcast result shape "
              "(its out= path); jtorch's in-place ops keep self's shape and raise",
}
