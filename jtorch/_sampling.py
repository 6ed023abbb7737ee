"""Random tensor factories and in-place samplers (rand, randn, randint, normal_, uniform_, ...)."""
from __future__ import annotations

import jax.numpy as jnp

from . import _dtype as D
from ._checks import float_arg, int_args, probability_stats, type_name
from ._creation import _finish, _on_meta, _size, like_device
from ._meta import MetaArray
from ._tensor import Tensor
from .random import _gen


def _float(dtype):
    d = dtype or D.get_default_dtype()
    if d.category != D.FLOAT:  # torch raises NotImplementedError (no kernel for the dtype)
        raise NotImplementedError(f"this random function is not implemented for {d}; pass a "
                                  "floating point dtype")
    return d


def _draw(generator, device, kind, shape, dtype, *args):
    """A generator draw, or for a meta result only its shape (torch draws nothing there)."""
    if _on_meta(device):
        return MetaArray(shape, dtype)
    return _gen(generator).draw(kind, shape, dtype, *args)


def rand(*shape, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """Matches `torch.rand`."""
    d = _float(dtype)
    a = _draw(generator, device, "uniform", _size(shape if size is None else (size,)), d.np, 0.0, 1.0)
    return _out(out, _finish(a, d, device, requires_grad))


def randn(*shape, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    """Matches `torch.randn` (complex dtypes: real and imaginary parts each of variance 1/2)."""
    sh = _size(shape if size is None else (size,))
    if dtype is not None and dtype.is_complex and not _on_meta(device):
        part = D.float32 if dtype == D.complex64 else D.float64
        ri = _gen(generator).draw("normal", sh + (2,), part.np, 0.0, 0.5 ** 0.5)
        a = jnp.asarray(ri[..., 0] + 1j * ri[..., 1], dtype.np)
        return _out(out, _finish(a, dtype, device, requires_grad))
    d = dtype if dtype is not None and dtype.is_complex else _float(dtype)
    a = _draw(generator, device, "normal", sh, d.np, 0.0, 1.0)
    return _out(out, _finish(a, d, device, requires_grad))


class _Omitted:
    """randint's `low` when not given (`randint(high=5, size=...)`), unlike an explicit None."""

    def __repr__(self):
        return "0"


_NO_LOW = _Omitted()


def randint(low=_NO_LOW, high=None, size=None, *, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False):
    """Matches `torch.randint` (`randint(high, size)` or `randint(low, high, size)`)."""
    if low is None:  # randint(None, 5, (3,)): torch's parser takes no None for an int
        raise TypeError(f"randint() received an invalid combination of arguments - got (NoneType, "
                        f"{type(high).__name__}, {type(size).__name__}): 'low' must be int")
    if low is _NO_LOW:
        low = None
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    elif high is None:  # randint(high, size=...): the one bound given is the upper one
        low, high = 0, low
    low = 0 if low is None else low
    int_args("randint", low=low, high=high)
    if int(low) >= int(high):
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={int(low)} "
                           f">= to={int(high)}")
    d = dtype or D.int64
    a = _draw(generator, device, "randint", _size((size,)) if isinstance(size, int) else
              _size(tuple(size)), jnp.int64, int(low), int(high))
    a = MetaArray(a.shape, d.np) if _on_meta(device) else a.astype(d.np)
    return _out(out, _finish(a, d, device, requires_grad))


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """Matches `torch.randperm`."""
    int_args("randperm", n=n)
    d = dtype or D.int64
    a = _draw(generator, device, "perm", (int(n),), d.np)
    return _out(out, _finish(a, d, device, requires_grad))


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """Matches `torch.rand_like`."""
    return rand(tuple(input.shape), dtype=dtype or input.dtype, requires_grad=requires_grad,
                device=like_device(input, device))


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """Matches `torch.randn_like`."""
    return randn(tuple(input.shape), dtype=dtype or input.dtype, requires_grad=requires_grad,
                 device=like_device(input, device))


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None):
    """Matches `torch.randint_like`."""
    if high is None:
        low, high = 0, low
    if input.dtype.is_complex or input.dtype.name == "bool":
        raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean "
                           "types" if input.dtype.is_complex else "to - 1 is out of bounds for bool")
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=like_device(input, device))


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False):
    """Matches `torch.normal` (tensor or float mean/std)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        for name, v in (("mean", mean), ("std", std)):  # torch's parser: a real number or a Tensor
            if not isinstance(v, Tensor):
                float_arg("normal", name, v, scalar=False)
        mean, std = (v if isinstance(v, Tensor) else float(v) for v in (mean, std))  # doubles
        if not isinstance(std, Tensor):
            _check_std(std)
        ref = mean if isinstance(mean, Tensor) else std
        shape = jnp.broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
        z = _gen(generator).draw("normal", shape, ref.dtype.np, 0.0, 1.0)
        return _out(out, Tensor._from_array(z) * std + mean)
    _check_std(std)
    d = _float(dtype)
    a = _draw(generator, device, "normal", _size((size,)) if isinstance(size, int) else
              _size(tuple(size)), d.np, float(mean), float(std))
    return _out(out, _finish(a, d, device, requires_grad))


def bernoulli(input, p=None, *, generator=None, out=None):
    """Matches `torch.bernoulli`."""
    _check_p(input._data if p is None else p)
    probs = input._data if p is None else jnp.full(tuple(input.shape), p._data if isinstance(p, Tensor) else p)
    a = _gen(generator).draw("bernoulli", tuple(input.shape), input.dtype.np, probs)
    return _out(out, Tensor._from_array(a))


def _check_p(p):
    """torch's errors for probabilities outside [0, 1] (tensors: eagerly; skipped under jit)."""
    if isinstance(p, Tensor):
        p = p._data
    if isinstance(p, (int, float)):
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        return
    st = probability_stats(p) if jnp.issubdtype(p.dtype, jnp.floating) else None
    if st is not None and not (st[0] >= 0 and st[1] <= 1):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Matches `torch.multinomial` (invalid weights are detected eagerly: one host read;
    under jit they are not)."""
    p = input._data
    int_args("multinomial", input=0, num_samples=num_samples)
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{type_name(p.dtype)}")
    if out is not None and out.dtype.name != "int64":
        raise RuntimeError(f"multinomial expects Long tensor out, got: {type_name(out.dtype.np)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if p.shape[-1] > 2 ** 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    if not replacement and num_samples > p.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    st = probability_stats(p)
    if st is not None and not (st[0] >= 0 and st[2]):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if st is not None and not st[3] > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    logp = jnp.log(p.astype(jnp.float64 if p.dtype == jnp.float64 else jnp.float32))
    kind = "categorical" if replacement else "gumbel_topk"
    a = _gen(generator).draw(kind, p.shape[:-1] + (int(num_samples),), jnp.int64, logp)
    return _out(out, Tensor._from_array(a))


def poisson(input, generator=None):
    """Matches `torch.poisson` (negative rates are detected eagerly: one host read)."""
    import jax
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{type_name(input.dtype.np)}'")
    st = probability_stats(input._data)
    if st is not None and not (st[0] >= 0 and st[2]):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    key = _gen(generator)
    key._key, sub = jax.random.split(key._key)
    return Tensor._from_array(jax.random.poisson(sub, input._data, input.shape).astype(input.dtype.np))


def _out(out, t):
    return Tensor._write_out(out, t) if out is not None else t


# ---- in-place samplers (Tensor methods) --------------------------------------------------

def _meta_noop(fn):
    """An in-place sampler leaves a meta tensor as it is (no data; torch draws nothing)."""
    def sampler(self, *args, **kwargs):
        return self if self.is_meta else fn(self, *args, **kwargs)
    sampler.__name__ = sampler.__qualname__ = fn.__name__
    sampler.__doc__ = fn.__doc__
    return sampler


def _fill_with(self, a):
    self._check_writable()
    dt = self.dtype.np
    new = Tensor._from_array(a if a.dtype == dt else a.astype(dt))
    self._assign(new)
    return self


@_meta_noop
def uniform_(self, a=0.0, b=1.0, *, generator=None):
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    return _fill_with(self, _gen(generator).draw("uniform", tuple(self.shape), _real(self), float(a), float(b)))


def _check_std(std):
    if not std >= 0:  # NaN too
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")


@_meta_noop
def normal_(self, mean=0.0, std=1.0, *, generator=None):
    _check_std(std)
    return _fill_with(self, _gen(generator).draw("normal", tuple(self.shape), _real(self), float(mean), float(std)))


@_meta_noop
def bernoulli_(self, p=0.5, *, generator=None):
    _check_p(p._data if isinstance(p, Tensor) else p)
    probs = p._data if isinstance(p, Tensor) else jnp.full(tuple(self.shape), float(p))
    return _fill_with(self, _gen(generator).draw("bernoulli", tuple(self.shape), self.dtype.np, probs))


@_meta_noop
def random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = 0, (2 ** 24 if self.dtype.category == D.FLOAT else 2 ** 31 - 1) if from_ == 0 else from_
    return _fill_with(self, _gen(generator).draw("randint", tuple(self.shape), jnp.int64, int(from_), int(to)))


@_meta_noop
def exponential_(self, lambd=1.0, *, generator=None):
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill_with(self, _gen(generator).draw("exponential", tuple(self.shape), _real(self), float(lambd)))


@_meta_noop
def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Matches `Tensor.cauchy_` (the quantile function of a uniform draw)."""
    if sigma <= 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    u = _gen(generator).draw("uniform", tuple(self.shape), _real(self), 0.0, 1.0)
    return _fill_with(self, median + sigma * jnp.tan(jnp.pi * (u - 0.5)))


@_meta_noop
def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Matches `Tensor.log_normal_`."""
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _fill_with(self, jnp.exp(_gen(generator).draw("normal", tuple(self.shape), _real(self),
                                                         float(mean), float(std))))


@_meta_noop
def geometric_(self, p, *, generator=None):
    """Matches `Tensor.geometric_`: the number of Bernoulli(p) trials up to the first success."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = _gen(generator).draw("uniform", tuple(self.shape), jnp.float64, 0.0, 1.0)
    # 1 - u lies in (0, 1]; the max keeps u == 0 at the smallest count, 1
    k = jnp.maximum(jnp.ceil(jnp.log1p(-u) / jnp.log1p(-p)), 1.0)
    return _fill_with(self, k)


def _real(t):
    d = t.dtype
    if d.category != D.FLOAT:
        raise RuntimeError(f"this in-place sampler expects a floating point tensor, got {d}")
    return d.np


from . import _pyvalues  # noqa: E402
_pyvalues.accept_python_dtypes(globals())
