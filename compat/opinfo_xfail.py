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
    # Integer arithmetic torch does in the input dtype (wrapping modulo 2**bits) where jtorch
    # computes the exact value (issue 16's integer dtypes).
    "nn.functional.margin_ranking_loss": "uint8 inputs: torch computes -target * (input1 - input2) "
                                         "in uint8, wrapping modulo 256, before the float margin "
                                         "promotes it; jtorch promotes to float first",
    "nn.functional.triplet_margin_loss": "uint8 inputs: torch's pairwise distance subtracts them in "
                                         "uint8, wrapping modulo 256 (distance 318 for 198)",
    "nn.functional.triplet_margin_with_distance_loss": "uint8 inputs: torch's pairwise distance "
                                                       "subtracts them in uint8, wrapping modulo 256",
    "trapz": "a uint8 x: torch computes the spacing x[i+1] - x[i] in uint8, wrapping modulo 256 "
             "(213 for -43); jtorch's spacing is signed",
    "trapezoid": "a uint8 x: torch computes the spacing x[i+1] - x[i] in uint8, wrapping modulo 256",
    "cumulative_trapezoid": "a uint8 x: torch computes the spacing x[i+1] - x[i] in uint8, wrapping "
                            "modulo 256",
    "scalar_tensor": "a negative Python int with dtype=uint8: torch wraps it (-5 -> 251); jtorch "
                     "raises OverflowError",
    "einsum": "an integer einsum that only sums one operand ('i->'): torch reduces with sum, which "
              "gives int64 for int8/int16/int32; jtorch keeps the input dtype",
    # Complex gradients that agree where the input can move.
    "cholesky": "complex64/complex128: torch's gradient is not Hermitian; jtorch's is its Hermitian "
                "part (equal Hermitian parts: the same derivative along every Hermitian input)",
    "linalg.cholesky": "complex64/complex128: torch's gradient is not Hermitian; jtorch's is its "
                       "Hermitian part (the same derivative along every Hermitian input)",
    "linalg.cholesky_ex": "complex64/complex128: torch's gradient is not Hermitian; jtorch's is its "
                          "Hermitian part (the same derivative along every Hermitian input)",
    "nn.functional.pairwise_distance": "uint8 inputs: torch subtracts them in uint8, wrapping "
                                       "modulo 256 (distance 318 for 198)",
    # Gradients neither library computes as the derivative of the function judged.
    "linalg.pinv.hermitian": "complex samples that are not Hermitian with hermitian=True: both "
                             "libraries' gradients assume a Hermitian input; neither equals the "
                             "finite-difference derivative of torch's own function (complex128, "
                             "one direction: torch -306.8, jtorch 472.8, finite difference -43.8)",
    # Half-precision training batch norm: torch's CPU backward kernel rounds in an order not
    # reproduced (values equal; jtorch's gradient is float32 from the half saved statistics,
    # rounded once: ~20% of elements equal torch's, and no float32/half step order of torch's
    # formula tried reaches more).
    "nn.functional.batch_norm": "bfloat16/float16 input gradient in training: torch's half "
                                "backward kernel rounds in an order jtorch does not reproduce",
    "native_batch_norm": "bfloat16/float16 input gradient in training: torch's half backward "
                         "kernel rounds in an order jtorch does not reproduce",
    "nn.functional.instance_norm": "bfloat16/float16 input gradient: torch's half batch norm "
                                   "backward kernel rounds in an order jtorch does not reproduce",
    # Arguments jtorch lacks.
    "sparse.mm.reduce": "jtorch.sparse.mm has no reduce= argument (torch's CSR-only row reductions "
                        "sum/mean/amax/amin)",
    "unbind": "an out-of-range dim: torch raises IndexError, jtorch RuntimeError",
    "unbind_copy": "an out-of-range dim: torch raises IndexError, jtorch RuntimeError",
    # Legacy torch behaviour jtorch does not copy.
    "addbmm": "torch's in-place addbmm_ resizes a smaller self to the broadcast result shape "
              "(its out= path); jtorch's in-place ops keep self's shape and raise",
}
