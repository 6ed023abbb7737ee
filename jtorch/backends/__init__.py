"""torch.backends: flags programs set on any machine; settable, and harmless on XLA."""
from . import cpu, cuda, cudnn, mkldnn, mps, openmp, opt_einsum  # noqa: F401
