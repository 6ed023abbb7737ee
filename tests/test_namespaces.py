"""Namespaces programs touch: cuda, accelerator, backends, amp, jit, distributed, config knobs."""
import warnings

import jax
import pytest

import jtorch as torch

HAS_GPU = bool([d for d in jax.devices() if d.platform == "gpu"])


def test_cuda_answers_from_jax_devices():
    n = len([d for d in jax.devices() if d.platform == "gpu"])
    assert torch.cuda.is_available() == (n > 0) and torch.cuda.device_count() == n
    torch.cuda.manual_seed(0)
    torch.cuda.manual_seed_all(0)
    torch.cuda.empty_cache()
    if n:
        assert torch.cuda.current_device() == 0 and isinstance(torch.cuda.get_device_name(), str)
        torch.cuda.synchronize()
        assert torch.cuda.memory_allocated() >= 0
    else:
        with pytest.raises(AssertionError, match="not compiled with CUDA"):
            torch.cuda.current_device()
        with pytest.raises(AssertionError):
            torch.cuda.synchronize()


def test_accelerator_and_backends():
    acc = torch.accelerator.current_accelerator()
    assert torch.accelerator.is_available() == (acc is not None)
    if HAS_GPU:
        assert acc == torch.device("cuda")
    assert torch.backends.mps.is_available() is False
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.deterministic = True
    assert torch.backends.cudnn.benchmark and torch.backends.cudnn.deterministic
    torch.backends.cudnn.benchmark = torch.backends.cudnn.deterministic = False
    with torch.backends.cudnn.flags(enabled=False):
        assert torch.backends.cudnn.enabled is False
    assert torch.backends.cudnn.enabled is True


def test_matmul_precision_and_tf32_flag_are_one_setting():
    assert torch.get_float32_matmul_precision() == "highest"
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        assert torch.get_float32_matmul_precision() == "high"
        assert jax.config.jax_default_matmul_precision == "tensorfloat32"
        torch.set_float32_matmul_precision("highest")
        assert torch.backends.cuda.matmul.allow_tf32 is False
        with pytest.raises(RuntimeError):
            torch.set_float32_matmul_precision("fast")
    finally:
        torch.set_float32_matmul_precision("highest")


def test_config_knobs():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    assert torch.get_num_threads() == 1
    torch.set_num_threads(n)
    torch.use_deterministic_algorithms(True, warn_only=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(False)
    assert torch.get_default_device() == torch.device("cpu")
    torch.set_default_device("cpu")
    try:
        assert torch.get_default_device() == torch.device("cpu")
        assert torch.ones(2).device == torch.device("cpu")
    finally:
        torch.set_default_device(None)


def test_autocast_casts_matmul_like_ops_only():
    x, w = torch.ones(2, 3), torch.ones(4, 3, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
        y = x @ w.T
        assert y.dtype == torch.bfloat16
        assert torch.mm(x, w.T).dtype == torch.bfloat16
        assert (x.double() @ w.double().T).dtype == torch.float64  # float64 is never cast
        assert (x + 1).dtype == torch.float32 and x.exp().dtype == torch.float32
        with torch.autocast("cpu", enabled=False):
            assert (x @ w.T).dtype == torch.float32
        assert (x @ w.T).dtype == torch.bfloat16
    assert not torch.is_autocast_enabled("cpu")
    assert (x @ w.T).dtype == torch.float32
    y.float().sum().backward()
    assert w.grad.dtype == torch.float32 and w.grad.tolist() == [[2.0] * 3] * 4


def test_autocast_as_decorator_and_float16():
    @torch.amp.autocast("cpu", dtype=torch.float16)
    def f(a):
        return a @ a
    assert f(torch.ones(2, 2)).dtype == torch.float16
    assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32


def test_grad_scaler_scales_unscales_and_skips_nonfinite_steps():
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=1.0)
    s = torch.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2)
    loss = (p * 3).sum()
    scaled = s.scale(loss)
    assert scaled.item() == 24.0
    scaled.backward()
    assert p.grad.tolist() == [12.0, 12.0]
    s.step(opt)
    assert p.grad.tolist() == [3.0, 3.0] and p.tolist() == [-2.0, -2.0]
    s.update()
    assert s.get_scale() == 4.0
    opt.zero_grad()
    s.scale((p * 3).sum()).backward()
    s.step(opt)
    s.update()
    assert s.get_scale() == 8.0  # grew after growth_interval clean steps
    opt.zero_grad()
    before = p.tolist()
    s.scale((p * float("inf")).sum()).backward()
    s.step(opt)
    s.update()
    assert p.tolist() == before and s.get_scale() == 4.0
    assert s.state_dict()["scale"] == 4.0


def test_grad_scaler_disabled_is_a_pass_through():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = torch.cuda.amp.GradScaler() if not HAS_GPU else torch.amp.GradScaler(enabled=False)
    assert not s.is_enabled()
    p = torch.nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([p], lr=1.0)
    loss = p.sum() * 2
    assert s.scale(loss) is loss
    loss.backward()
    s.step(opt)
    s.update()
    assert p.tolist() == [-1.0] and s.state_dict() == {}


def test_jit_script_is_a_pass_through_that_warns_once():
    torch.jit._warned = False

    def f(x):
        return x + 1
    with pytest.warns(UserWarning, match="no TorchScript"):
        assert torch.jit.script(f) is f
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.jit.script(f) is f
    assert torch.jit.is_scripting() is False
    with pytest.raises(RuntimeError, match="torch.jit.save"):  # trace/save: tests/export
        torch.jit.save(f, "x.pt")


def test_distributed_and_parallel():
    assert torch.distributed.is_available() is True
    assert torch.distributed.is_initialized() is False
    with pytest.raises(ValueError, match="process group"):
        torch.distributed.get_rank()
    from jtorch.nn.parallel import DataParallel, DistributedDataParallel
    lin = torch.nn.Module()
    lin.weight = torch.nn.Parameter(torch.ones(2))
    lin.forward = lambda x: x * lin.weight
    dp = DataParallel(lin)
    assert dp(torch.ones(2)).tolist() == [1.0, 1.0]
    assert list(dp.state_dict()) == ["module.weight"]
    with pytest.raises(ValueError, match="process group"):
        DistributedDataParallel(lin)


def test_version_compares_as_a_version():
    assert torch.__version__.startswith("2.13")
    assert torch.__version__ >= "2.0" and torch.__version__ < "2.14" and torch.__version__ > (2, 9)
    assert (torch.version.cuda is not None) == HAS_GPU


def test_small_device_namespaces():
    assert torch.cpu.is_available() and torch.cpu.device_count() == 1
    torch.cpu.synchronize()
    assert torch.xpu.is_available() is False and torch.mps.is_available() is False
    with pytest.warns(FutureWarning):
        with torch.cpu.amp.autocast(dtype=torch.bfloat16):
            assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16


def test_multiprocessing_and_utils():
    import jtorch.multiprocessing as mp
    from jtorch.utils.checkpoint import checkpoint
    from jtorch.utils.dlpack import from_dlpack, to_dlpack
    assert mp.get_context("spawn") is not None and callable(mp.spawn)
    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system"
    mp.set_sharing_strategy("file_descriptor")
    x = torch.ones(3, requires_grad=True)
    checkpoint(lambda a: (a * a).sum(), x, use_reentrant=False).backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    assert from_dlpack(to_dlpack(torch.arange(3))).tolist() == [0, 1, 2]
