"""torch.distributions on both libraries: densities, entropies, moments, shapes, KLs, grads."""
import pytest

from compat._harness import randn

LOC = randn(3)
SCALE = abs(randn(3, seed=1)) + 0.5
V = randn(3, seed=2)
P = [0.2, 0.5, 0.9]
LOGITS = randn(2, 4, seed=3)


def normal(lib):
    return lib.distributions.Normal(lib.tensor(LOC), lib.tensor(SCALE))


def uniform(lib):
    return lib.distributions.Uniform(lib.tensor(LOC), lib.tensor(LOC + SCALE))


def bern_p(lib):
    return lib.distributions.Bernoulli(probs=lib.tensor(P, dtype=lib.float64))


def bern_l(lib):
    return lib.distributions.Bernoulli(logits=lib.tensor(LOC))


def cat_l(lib):
    return lib.distributions.Categorical(logits=lib.tensor(LOGITS))


def cat_p(lib):
    return lib.distributions.Categorical(probs=lib.tensor(abs(LOGITS)))


CASES = {
    "normal_log_prob": lambda lib: normal(lib).log_prob(lib.tensor(V)),
    "normal_entropy": lambda lib: normal(lib).entropy(),
    "normal_cdf_icdf": lambda lib: (normal(lib).cdf(lib.tensor(V)),
                                    normal(lib).icdf(lib.tensor([0.1, 0.5, 0.8], dtype=lib.float64))),
    "normal_moments": lambda lib: (normal(lib).mean, normal(lib).stddev, normal(lib).variance,
                                   normal(lib).mode),
    "normal_shapes": lambda lib: (normal(lib).batch_shape, normal(lib).event_shape,
                                  normal(lib).sample((5, 2)).shape, normal(lib).rsample().dtype),
    "normal_scalar_params": lambda lib: lib.distributions.Normal(0.0, 2.0).log_prob(lib.tensor(1.0)),
    "normal_broadcast": lambda lib: lib.distributions.Normal(lib.tensor(LOC), 1.0).entropy(),
    "normal_repr": lambda lib: repr(normal(lib)),
    "uniform_log_prob": lambda lib: uniform(lib).log_prob(lib.tensor(LOC + SCALE / 2)),
    "uniform_outside": lambda lib: lib.distributions.Uniform(0.0, 1.0, validate_args=False).log_prob(
        lib.tensor([-0.5, 0.5, 1.5])),
    "uniform_entropy_moments": lambda lib: (uniform(lib).entropy(), uniform(lib).mean,
                                            uniform(lib).variance, uniform(lib).stddev),
    "uniform_cdf": lambda lib: uniform(lib).cdf(lib.tensor(LOC + SCALE / 3)),
    "uniform_sample_shape": lambda lib: uniform(lib).sample((4,)).shape,
    "bernoulli_probs": lambda lib: (bern_p(lib).log_prob(lib.tensor([1.0, 0.0, 1.0], dtype=lib.float64)),
                                    bern_p(lib).entropy(), bern_p(lib).logits, bern_p(lib).mean,
                                    bern_p(lib).variance),
    "bernoulli_logits": lambda lib: (bern_l(lib).log_prob(lib.tensor([0.0, 1.0, 1.0], dtype=lib.float64)),
                                     bern_l(lib).entropy(), bern_l(lib).probs),
    "bernoulli_sample": lambda lib: (bern_p(lib).sample((2,)).shape, bern_p(lib).sample().dtype),
    "bernoulli_support": lambda lib: bern_p(lib).enumerate_support(),
    "categorical_logits": lambda lib: (cat_l(lib).log_prob(lib.tensor([3, 0])), cat_l(lib).entropy(),
                                       cat_l(lib).probs, cat_l(lib).logits),
    "categorical_probs": lambda lib: (cat_p(lib).log_prob(lib.tensor([[1, 2], [0, 3]])),
                                      cat_p(lib).entropy(), cat_p(lib).probs),
    "categorical_shapes": lambda lib: (cat_l(lib).batch_shape, cat_l(lib).sample().shape,
                                       cat_l(lib).sample((3,)).shape, cat_l(lib).sample().dtype,
                                       cat_l(lib).param_shape),
    "categorical_mode": lambda lib: cat_l(lib).mode,
    "categorical_support": lambda lib: cat_l(lib).enumerate_support(),
    "categorical_sample_range": lambda lib: bool(((cat_l(lib).sample((50,)) >= 0)
                                                  & (cat_l(lib).sample((50,)) < 4)).all()),
    "categorical_zero_prob_entropy": lambda lib: lib.distributions.Categorical(
        probs=lib.tensor([0.0, 0.5, 0.5])).entropy(),
    "independent": lambda lib: (lib.distributions.Independent(normal(lib), 1).log_prob(lib.tensor(V)),
                                lib.distributions.Independent(normal(lib), 1).entropy(),
                                lib.distributions.Independent(normal(lib), 1).event_shape,
                                lib.distributions.Independent(normal(lib), 1).batch_shape),
    "kl_normal": lambda lib: lib.distributions.kl_divergence(
        normal(lib), lib.distributions.Normal(lib.tensor(V), lib.tensor(SCALE * 2))),
    "kl_categorical": lambda lib: lib.distributions.kl_divergence(cat_l(lib), cat_p(lib)),
    "kl_bernoulli": lambda lib: lib.distributions.kl_divergence(bern_p(lib), bern_l(lib)),
    "kl_uniform": lambda lib: lib.distributions.kl_divergence(
        uniform(lib), lib.distributions.Uniform(lib.tensor(LOC - 1), lib.tensor(LOC + SCALE + 1))),
    "both_params_error": lambda lib: lib.distributions.Categorical(probs=lib.ones(2), logits=lib.ones(2)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_distribution(compat, name):
    compat.value(CASES[name], rtol=1e-6, atol=1e-9)


def test_rsample_gradient(compat):
    def run(lib):
        loc = lib.tensor(LOC, requires_grad=True)
        scale = lib.tensor(SCALE, requires_grad=True)
        d = lib.distributions.Normal(loc, scale)
        (d.log_prob(lib.tensor(V)).sum() + d.entropy().sum()).backward()
        x = d.rsample((7,))
        return loc.grad, scale.grad, x.requires_grad, x.shape
    compat.value(run, rtol=1e-6, atol=1e-9)


def test_categorical_log_prob_gradient(compat):
    def run(lib):
        logits = lib.tensor(LOGITS, requires_grad=True)
        d = lib.distributions.Categorical(logits=logits)
        (d.log_prob(lib.tensor([1, 2])).sum() - d.entropy().sum()).backward()
        return logits.grad
    compat.value(run, rtol=1e-6, atol=1e-9)


def test_sample_statistics():
    import jtorch
    jtorch.manual_seed(0)
    x = jtorch.distributions.Normal(2.0, 3.0).sample((4000,))
    assert abs(x.mean().item() - 2.0) < 0.25 and abs(x.std().item() - 3.0) < 0.2
    c = jtorch.distributions.Categorical(probs=jtorch.tensor([0.1, 0.2, 0.7])).sample((4000,))
    freq = [(c == k).float().mean().item() for k in range(3)]
    assert all(abs(f - p) < 0.04 for f, p in zip(freq, [0.1, 0.2, 0.7]))
    b = jtorch.distributions.Bernoulli(probs=jtorch.tensor(0.3)).sample((4000,))
    assert abs(b.mean().item() - 0.3) < 0.04
