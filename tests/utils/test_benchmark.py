"""jtorch.utils.benchmark: timings include JAX's asynchronous work; Timer, Measurement, Compare."""
import time

import jax
import jax.numpy as jnp
import pytest

import jtorch
import jtorch.utils.benchmark as benchmark


def _direct_matmul_time(n=700, reps=3):
    a = jnp.ones((n, n), jnp.float32)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    times = []
    for _ in range(reps):  # the fastest run: robust to other load on the machine
        t0 = time.perf_counter()
        f(a).block_until_ready()
        times.append(time.perf_counter() - t0)
    return min(times)


@pytest.mark.parametrize("stmt", ["a @ a", "b = a @ a", "a.mm(a).relu_()"])
def test_timing_includes_the_work(stmt):
    # Dispatching a 700x700 matmul takes microseconds; running it, milliseconds. A per-run time
    # near the direct blocked time shows the Timer waited for the result (an expression's value
    # on every run; an assignment through the barrier before the clock is read).
    direct = _direct_matmul_time()
    t = benchmark.Timer(stmt, setup="a = torch.ones(700, 700)")
    m = t.timeit(4)
    assert m.median > 0.5 * direct, (m.median, direct)


def test_blocked_autorange_and_measurement():
    x = jtorch.randn(64)
    m = benchmark.Timer("x * 2", globals={"x": x}, label="mul", sub_label="f32",
                        description="n=64").blocked_autorange(min_run_time=0.05)
    assert m.number_per_run >= 1 and len(m.raw_times) >= 1
    assert sum(m.raw_times) >= 0.05
    assert m.times == [t / m.number_per_run for t in m.raw_times]
    assert m.title == "mul: f32" and m.description == "n=64" and m.env is None
    text = repr(m).splitlines()
    assert text[0].startswith("<jtorch.utils.benchmark.utils.common.Measurement object at 0x")
    assert text[1:3] == ["mul: f32", "n=64"]


def test_adaptive_autorange_stops_at_max_run_time():
    t0 = time.perf_counter()
    m = benchmark.Timer("sum(range(50))").adaptive_autorange(threshold=0.0, max_run_time=0.1)
    # threshold 0 is never met: the loop ends at max_run_time (plus block-size estimation).
    assert time.perf_counter() - t0 < 30
    assert len(m.raw_times) >= 1 and sum(m.raw_times) > 0.1


def test_compiled_step_under_timer():
    model = jtorch.nn.Linear(8, 4)
    opt = jtorch.optim.SGD(model.parameters(), lr=0.1)
    x = jtorch.randn(16, 8)

    @jtorch.compile
    def step():
        opt.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        opt.step()
        return loss

    before = model.weight.detach().clone()
    m = benchmark.Timer("step()", globals={"step": step}).timeit(5)
    assert m.number_per_run == 5 and m.median > 0
    assert not jtorch.equal(before, model.weight.detach())


def test_setup_runs_per_block_and_threads_restored():
    jtorch.set_num_threads(2)
    calls = []
    t = benchmark.Timer("calls[-1] += 1", setup="calls.append(0)", globals={"calls": calls},
                        num_threads=1)
    t.timeit(10)
    assert calls == [2, 10]  # the warm-up block (max(10 // 100, 2) runs), then the timed one
    assert jtorch.get_num_threads() == 2


def test_errors():
    with pytest.raises(ValueError, match="only a `str` stmt"):
        benchmark.Timer(lambda: 1)
    with pytest.raises(NotImplementedError, match="Python statements only"):
        benchmark.Timer("1", language="c++")
    with pytest.raises(NotImplementedError, match="blocked_autorange"):
        benchmark.Timer("1").repeat()
    with pytest.raises(NotImplementedError):
        benchmark.Timer("1").collect_callgrind()
    with pytest.raises(ValueError, match="Measurement"):
        benchmark.Compare(["x"])


def test_compare_table():
    spec = lambda d, s: benchmark.TaskSpec("f(x)", "pass", label="L", sub_label=s, description=d)  # noqa: E731
    ms = [benchmark.Measurement(10, [1e-5, 1.1e-5, 0.9e-5], spec("n=1", "a")),
          benchmark.Measurement(10, [2e-5, 2.1e-5, 1.9e-5], spec("n=2", "a"))]
    text = str(benchmark.Compare(ms))
    # torch 2.13 prints this table for these measurements.
    assert text.splitlines() == [
        "[--------- L ---------]",
        "         |  n=1  |  n=2",
        "1 threads: ------------",
        "      a  |  1.0  |  2.0",
        "",
        "Times are in microseconds (us).",
    ]
