"""A compiled function that returns a view of an argument (or of a parameter) returns a view of
the live tensor, as eager torch does: writes through it reach the argument. Where eager makes
a copy (a reshape of a non-contiguous argument), the compiled call returns a copy too."""
import pytest


def _maybe_compile(lib, fn, compiled):
    return lib.compile(fn) if compiled and lib.__name__ == "jtorch" else fn


VIEWS = {
    "select": lambda x: x[1],
    "transpose": lambda x: x.t(),
    "slice_step": lambda x: x[:, 1::2],
    "view": lambda x: x.view(2, 2, -1),
    "reshape_copy": lambda x: x.reshape(-1)[:5],
    "diagonal": lambda x: x.diagonal(),
    "unsqueeze_expand": lambda x: x[0].unsqueeze(0),
}
ARGS = {
    "root": lambda lib: (lib.arange(24.).reshape(4, 6), None),
    "offset_view": lambda lib: (lambda b: (b[1:5], b))(lib.arange(40.).reshape(8, 5)[:, :4].contiguous().reshape(10, 4)),
    "strided_view": lambda lib: (lambda b: (b.t()[1:5], b))(lib.arange(24.).reshape(4, 6)),
    "transposed": lambda lib: (lambda b: (b.t(), b))(lib.arange(24.).reshape(6, 4)),
}


def _run(lib, view, arg, compiled):
    x, base = ARGS[arg](lib)
    f = _maybe_compile(lib, VIEWS[view], compiled)
    res = []
    for k in range(2):  # the first call, and the installed program's
        try:
            v = f(x)
        except RuntimeError as e:  # a view torch refuses (view of a non-contiguous argument)
            return type(e).__name__
        v.mul_(-1 - k)
        res += [x.clone(), (x if base is None else base).clone(), tuple(v.shape), v.is_contiguous()]
    return res


# Every view on a root argument, and each kind of view argument under a few views (each
# compiled case costs two traces).
CASES = [(v, "root") for v in sorted(VIEWS)] + [
    (v, a) for a in ("offset_view", "strided_view", "transposed")
    for v in ("select", "slice_step", "view", "reshape_copy")]


@pytest.mark.parametrize("view,arg", CASES)
def test_returned_view_aliases_the_argument(compat, view, arg):
    compat.value(lambda lib: _run(lib, view, arg, True))


def test_view_after_in_place_write_and_scalar_output(compat):
    def run(lib):
        x = lib.arange(12.).reshape(3, 4)

        def h(x):
            x.mul_(2)
            return x[:, 1:3], x.sum()
        f = _maybe_compile(lib, h, True)
        a, s = f(x)
        a.zero_()
        a2, _ = f(x)  # second call: the installed program
        a2.add_(1)
        return x, s
    compat.value(run)


def test_view_output_keeps_the_graph(compat):
    def run(lib):
        p = lib.ones(3, 4, requires_grad=True)
        y = p * 2
        f = _maybe_compile(lib, lambda t: t[1, 1:], True)
        f(y)
        v = f(y)
        (v * lib.arange(3.)).sum().backward()
        return p.grad, v._base is y, v.requires_grad
    compat.value(run)


def test_view_of_a_parameter_from_a_compiled_module(compat):
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        with lib.no_grad():
            m.weight.copy_(lib.arange(6.).reshape(2, 3))

        class Tied(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = m

            def forward(self):
                return self.lin.weight.t()
        mod = Tied()
        if lib.__name__ == "jtorch":
            mod = lib.compile(mod)
        res = []
        for k in range(2):  # the first call, and the installed program's
            wt = mod()
            with lib.no_grad():
                wt[k, 0] = 100.0 + k
            res.append(m.weight.detach().clone())
        return res, wt.shape
    compat.value(run)


def test_outputs_that_alias_each_other(compat):
    """The same tensor returned twice, and views of another output (before or after it in the
    output structure), are one storage as eager: writes through one show in the others."""
    def run(lib):
        def f(x):
            y = x * 2
            return y[0], y, {"again": y, "col": y[:, 1]}
        f = _maybe_compile(lib, f, True)
        res = []
        for k in range(2):
            b, a, d = f(lib.arange(6.).reshape(2, 3))
            b.fill_(-1 - k)
            d["col"].add_(100)
            res += [a.clone(), d["again"] is a]
        return res
    compat.value(run)


def test_aliased_outputs_keep_the_graph(compat):
    def run(lib):
        f = _maybe_compile(lib, lambda p: (lambda y: (y, y[1], y))(p.exp()), True)
        grads = []
        for _ in range(2):
            p = lib.arange(6.).reshape(2, 3).div(6).requires_grad_()
            y, row, y2 = f(p)
            (y.sum() + (row * 3).sum() + y2[0, 0]).backward()
            grads.append(p.grad)
        return grads
    compat.value(run)
