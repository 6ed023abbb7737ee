"""`python -m jtorch SCRIPT.py`: the torch alias, argv, errors naming the user's line, compare."""
import os
import subprocess
import sys
import textwrap

import pytest

from jtorch._compare import compare_text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(tmp_path, source, *args, env_extra=None, name="script.py"):
    script = tmp_path / name
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "jtorch", str(script), *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)


def test_alias_resolves_every_submodule_and_passes_argv(tmp_path):
    # A `torch` package that fails on import stands for a real installation: never reached.
    fake = tmp_path / "fake" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('real torch was imported')\n")
    p = run(tmp_path, """
        import sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset
        from torch.nn.modules.module import Module
        from torch import autograd
        import jtorch
        assert torch is jtorch and nn is jtorch.nn and F is jtorch.nn.functional
        assert Module is jtorch.nn.Module and sys.modules["torch.nn"] is jtorch.nn
        x = torch.arange(6.0).reshape(2, 3)
        import os
        assert sys.path[0] == os.path.dirname(os.path.abspath(__file__))
        print("sum", x.sum().item(), "argv", sys.argv[1:], __name__)
        """, "--lr", "0.1", env_extra={"PYTHONPATH": os.pathsep.join([str(tmp_path / "fake"), ROOT])})
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "sum 15.0 argv ['--lr', '0.1'] __main__"


def test_missing_api_names_torch_and_the_users_line(tmp_path):
    p = run(tmp_path, """
        import torch

        x = torch.ones(2)
        y = torch.definitely_not_an_op(x)
        """)
    assert p.returncode == 1
    assert "`torch.definitely_not_an_op` is not supported by jtorch" in p.stderr
    assert "script.py:5: y = torch.definitely_not_an_op(x)" in p.stderr
    assert "_dropin.py" not in p.stderr  # the runner's own frames are hidden


def test_missing_module_and_name_imports_are_explained():
    import importlib.util

    from jtorch import _dropin
    spec = importlib.util.spec_from_loader("torch.no_such_module", None)
    with pytest.raises(ModuleNotFoundError) as e:
        _dropin._AliasLoader("jtorch.no_such_module").create_module(spec)
    assert "`torch.no_such_module` is not supported" in _dropin.explain(e.value, "s.py")
    with pytest.raises(ImportError) as e:
        exec("from jtorch.nn import NoSuchLayer")
    assert "`torch.nn.NoSuchLayer` is not supported" in _dropin.explain(e.value, "s.py")
    assert _dropin.explain(ValueError("boom"), "s.py") is None


def test_missing_tensor_method_names_the_line_in_a_helper_module(tmp_path):
    (tmp_path / "helper.py").write_text("def f(t):\n    return t.no_such_method()\n")
    p = run(tmp_path, "import torch\nimport helper\nhelper.f(torch.ones(1))\n")
    assert p.returncode == 1
    assert "`torch.Tensor.no_such_method`" in p.stderr and "helper.py:2" in p.stderr


def test_other_errors_keep_their_traceback_and_exit_code(tmp_path):
    p = run(tmp_path, "raise ValueError('boom')\n")
    assert p.returncode == 1 and "ValueError: boom" in p.stderr and "not supported" not in p.stderr


def test_spawned_children_see_the_alias(tmp_path):
    p = run(tmp_path, """
        import multiprocessing as mp
        import torch

        def name(_):
            import torch
            return torch.__name__

        if __name__ == "__main__":
            with mp.get_context("spawn").Pool(1) as pool:
                print(pool.map(name, [0]))
        """)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "['jtorch']"


def test_compare_text_tolerates_small_numeric_differences():
    ref = "epoch 1 loss 0.693147\nepoch 2 loss 0.5\ndone"
    assert compare_text(ref, "epoch 1 loss 0.693150\nepoch 2 loss 0.5\ndone") == []
    d = compare_text(ref, "epoch 1 loss 0.75\nepoch 2 loss 0.5\ndone")
    assert d == [("numbers", "epoch 1 loss 0.693147", "epoch 1 loss 0.75")]
    d = compare_text(ref, "epoch 1 loss 0.693147\ndone")
    assert d == [("text", "epoch 2 loss 0.5", None)]
    assert compare_text("a nan", "a nan") == []
    assert compare_text("t 1.0s\nloss 2", "t 9.0s\nloss 2", ignore=r"^t ") == []


def test_usage():
    p = subprocess.run([sys.executable, "-m", "jtorch"], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=ROOT))
    assert "usage: python -m jtorch SCRIPT.py" in p.stdout and p.returncode == 2
