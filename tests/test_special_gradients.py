"""Gradients at special points (issue 14 §2; expected values read from torch 2.13)."""
import jtorch as T


def _grad(f, values):
    x = T.tensor(values, requires_grad=True)
    f(x).sum().backward()
    return x.grad.tolist()


def test_abs_at_zero_is_zero():
    assert _grad(T.abs, [0.0, 1.0, -1.0]) == [0.0, 1.0, -1.0]


def test_std_of_a_constant_is_zero():
    assert _grad(lambda x: x.std(), [2.0, 2.0, 2.0]) == [0.0, 0.0, 0.0]
    assert _grad(lambda x: T.std_mean(x)[0], [2.0, 2.0, 2.0]) == [0.0, 0.0, 0.0]


def test_cosine_similarity_with_a_zero_vector_is_finite():
    a = T.zeros(1, 3, requires_grad=True)
    b = T.ones(1, 3, requires_grad=True)
    T.nn.functional.cosine_similarity(a, b).sum().backward()
    assert all(abs(v - 57735028.0) < 8 for v in a.grad[0].tolist())  # 1 / (sqrt(3) * eps)
    assert b.grad.tolist() == [[0.0, 0.0, 0.0]]
