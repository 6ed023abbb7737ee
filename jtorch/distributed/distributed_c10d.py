"""Process groups over JAX's distributed runtime: `init_process_group` is `jax.distributed.initialize`.

One process is one rank and contributes one device (its first local device) to every collective.
Collectives are XLA programs over a mesh of the group's devices (see `_programs.py`); tensor data
never leaves XLA's own transport (gloo on CPU, NCCL on GPU).
"""
from __future__ import annotations

import datetime
import enum
import os

import jax

_DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)


class ReduceOp:
    """Matches `torch.distributed.ReduceOp` (`ReduceOp.SUM` is a `ReduceOp.RedOpType` member)."""

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8
        UNUSED = 9

        def __repr__(self):
            return f"<RedOpType.{self.name}: {self.value}>"

        def __str__(self):
            return f"RedOpType.{self.name}"

    SUM, AVG, PRODUCT, MIN, MAX = RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT, RedOpType.MIN, \
        RedOpType.MAX
    BAND, BOR, BXOR, PREMUL_SUM, UNUSED = RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR, \
        RedOpType.PREMUL_SUM, RedOpType.UNUSED


class Backend(str):
    """Matches `torch.distributed.Backend`: a lower-case backend name."""
    UNDEFINED, GLOO, NCCL, MPI, UCC, XCCL = "undefined", "gloo", "nccl", "mpi", "ucc", "xccl"
    default_device_backend_map = {"cpu": "gloo", "cuda": "nccl"}

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {type(name)}")
        return str.__new__(cls, name.lower())


def get_default_backend_for_device(device) -> str:
    """Matches `torch.distributed.get_default_backend_for_device`."""
    kind = device if isinstance(device, str) else getattr(device, "type", str(device))
    kind = kind.split(":")[0]
    if kind not in Backend.default_device_backend_map:
        raise ValueError(f"Default backend not registered for device : {kind}")
    return Backend.default_device_backend_map[kind]


class ProcessGroup:
    """Matches `torch.distributed.ProcessGroup`: a set of global ranks and their devices."""

    def __init__(self, ranks, backend: str, timeout: datetime.timedelta):
        self._ranks = list(ranks)
        self._backend = Backend(backend)
        self._timeout = timeout

    def rank(self) -> int:
        r = _world().rank
        return self._ranks.index(r) if r in self._ranks else -1

    def size(self) -> int:
        return len(self._ranks)

    def name(self) -> str:
        return self._backend

    def _devices(self):
        devs = _world().devices
        return tuple(devs[r] for r in self._ranks)

    def __repr__(self):
        return f"<jtorch.distributed.ProcessGroup ranks={self._ranks} backend={self._backend}>"


class _World:
    def __init__(self, rank, size, backend, timeout):
        self.rank, self.size, self.backend, self.timeout = rank, size, backend, timeout
        # One device per process: each process's first device (processes may hold several
        # local devices when XLA_FLAGS forces host devices; collectives use the first).
        firsts = {}
        for d in jax.devices():
            if d.process_index not in firsts or d.id < firsts[d.process_index].id:
                firsts[d.process_index] = d
        self.devices = [firsts[p] for p in range(size)]
        self.pg = ProcessGroup(range(size), backend, timeout)


_state: dict = {"world": None, "used": False}


def _world() -> _World:
    w = _state["world"]
    if w is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return w


class GroupMember:
    """Matches `torch.distributed.GroupMember`: `WORLD` is the default group once initialised."""
    NON_GROUP_MEMBER = -100

    @property
    def WORLD(self):  # noqa: N802 (torch's name)
        w = _state["world"]
        return None if w is None else w.pg


class _GroupNamespace:
    @property
    def WORLD(self):  # noqa: N802
        w = _state["world"]
        return None if w is None else w.pg


group = _GroupNamespace()


def is_available() -> bool:
    """Matches `torch.distributed.is_available`."""
    return True


def is_initialized() -> bool:
    """Matches `torch.distributed.is_initialized`."""
    return _state["world"] is not None


def is_gloo_available() -> bool:
    return True


def is_nccl_available() -> bool:
    return any(d.platform == "gpu" for d in jax.devices()) if _state["world"] else False


def is_mpi_available() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    """Matches `torch.distributed.is_torchelastic_launched`: set by the launcher."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def _env_int(name, given):
    if given is not None and given >= 0:
        return given
    v = os.environ.get(name)
    if v is None:
        raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: environment "
                         f"variable {name} expected, but not set")
    return int(v)


def _coordinator(init_method):
    if init_method in (None, "env://"):
        addr = os.environ.get("MASTER_ADDR")
        port = os.environ.get("MASTER_PORT")
        if addr is None or port is None:
            missing = "MASTER_ADDR" if addr is None else "MASTER_PORT"
            raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: "
                             f"environment variable {missing} expected, but not set")
        return f"{addr}:{port}"
    if init_method.startswith("tcp://"):
        return init_method[len("tcp://"):].split("?")[0].rstrip("/")
    raise ValueError(f"jtorch supports init_method 'env://' and 'tcp://host:port', not "
                     f"{init_method!r}")


def _backend_name(backend, device_id):
    if backend is None:
        kind = getattr(device_id, "type", "cpu") if device_id is not None else "cpu"
        return get_default_backend_for_device(kind if kind in ("cpu", "cuda") else "cpu")
    b = str(backend).lower()
    if ":" in b or "," in b:  # 'cpu:gloo,cuda:nccl': JAX picks per platform; report the first
        b = b.split(",")[0].split(":")[-1]
    if b not in ("gloo", "nccl"):
        raise RuntimeError(f"jtorch supports the 'gloo' and 'nccl' backends, not {backend!r}")
    return b


def init_process_group(backend=None, init_method=None, timeout=None, world_size: int = -1,
                       rank: int = -1, store=None, group_name: str = "", pg_options=None,
                       device_id=None, _ranks=None) -> None:
    """Matches `torch.distributed.init_process_group` over `jax.distributed.initialize`.

    Rank 0 hosts JAX's coordinator at the master address/port. `store=` and `file://` are not
    supported. Must run before anything in the process computes with JAX (creates its backend).
    """
    if _state["world"] is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if _state["used"]:
        raise RuntimeError("jtorch cannot initialize a process group again in a process that "
                           "destroyed one (JAX's distributed runtime starts once per process); "
                           "start a new process")
    if store is not None:
        raise RuntimeError("jtorch: init_process_group(store=...) is not supported; use "
                           "init_method='env://' or 'tcp://host:port'")
    name = _backend_name(backend, device_id)
    timeout = _DEFAULT_TIMEOUT if timeout is None else timeout
    coord = _coordinator(init_method)
    size = _env_int("WORLD_SIZE", world_size)
    r = _env_int("RANK", rank)
    if not 0 <= r < size:
        raise ValueError(f"Invalid rank {r}, rank should be in the interval [0, {size - 1}]")
    secs = max(1, int(timeout.total_seconds()))
    if jax.distributed.is_initialized():  # joined already by `jtorch.distributed.run`'s child
        if (jax.process_index(), jax.process_count()) != (r, size):
            raise RuntimeError(f"init_process_group(rank={r}, world_size={size}) disagrees with "
                               f"the launcher's rank {jax.process_index()} of "
                               f"{jax.process_count()}")
        _state["world"] = _World(r, size, name, timeout)
        _state["used"] = True
        return
    if name == "gloo":
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    if r == 0 and not _port_free(coord):
        # JAX's coordination service can crash the process (not raise) on a taken port.
        raise RuntimeError(f"init_process_group: rank 0 could not listen on {coord} for the "
                           "rendezvous (address already in use?); pick a free MASTER_PORT")
    try:
        jax.distributed.initialize(coord, num_processes=size, process_id=r,
                                   initialization_timeout=secs,
                                   shutdown_timeout_seconds=min(secs, 60))
    except RuntimeError as e:
        if "must be called before" in str(e):
            raise RuntimeError(
                "init_process_group must run before this process computes anything with jtorch "
                "or JAX: JAX's backend is already initialised (a tensor was created, or "
                "jax.devices() was called), and jax.distributed.initialize cannot join it to a "
                "process group. Call init_process_group first.") from None
        if "Failed to start RPC server" in str(e):
            raise RuntimeError(f"init_process_group: rank 0 could not listen on {coord} for the "
                               f"rendezvous (address already in use?); pick a free MASTER_PORT"
                               ) from None
        raise RuntimeError(f"init_process_group: rendezvous at {coord} failed for rank {r} of "
                           f"{size} within {secs} s: {e}") from None
    except Exception as e:  # the coordinator did not see every rank in time, a bad address, ...
        raise RuntimeError(f"init_process_group: rendezvous at {coord} failed for rank {r} of "
                           f"{size} within {secs} s: {e}") from None
    if jax.process_count() != size:
        raise RuntimeError(f"init_process_group: JAX joined {jax.process_count()} processes, "
                           f"expected world_size={size}")
    _state["world"] = _World(r, size, name, timeout)
    _state["used"] = True


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Matches `torch.distributed.destroy_process_group` (the default group shuts JAX's runtime)."""
    w = _world()
    if group is not None and group is not w.pg:
        return
    _state["world"] = None
    jax.distributed.shutdown()


def _group(g) -> ProcessGroup:
    w = _world()
    return w.pg if g is None else g


def get_rank(group: ProcessGroup | None = None) -> int:
    """Matches `torch.distributed.get_rank` (-1 outside `group`)."""
    return _group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """Matches `torch.distributed.get_world_size`."""
    return _group(group).size()


def get_backend(group: ProcessGroup | None = None) -> Backend:
    """Matches `torch.distributed.get_backend`."""
    return _group(group)._backend


def get_process_group_ranks(group: ProcessGroup) -> list:
    """Matches `torch.distributed.get_process_group_ranks`."""
    return list(_group(group)._ranks)


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    """Matches `torch.distributed.get_global_rank`."""
    return _group(group)._ranks[group_rank]


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    """Matches `torch.distributed.get_group_rank`."""
    ranks = _group(group)._ranks
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return ranks.index(global_rank)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization: bool = False, group_desc=None, device_id=None,
              sort_ranks: bool = True) -> ProcessGroup:
    """Matches `torch.distributed.new_group`; every rank calls it, as in torch."""
    w = _world()
    ranks = list(range(w.size)) if ranks is None else list(ranks)
    if sort_ranks:
        ranks = sorted(ranks)
    for r in ranks:
        if not 0 <= r < w.size:
            raise ValueError(f"The new group's rank should be within the world_size set by "
                             f"init_process_group, got rank {r} for world_size {w.size}")
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: duplicate ranks in {ranks}")
    return ProcessGroup(ranks, w.backend if backend is None else _backend_name(backend, None),
                        w.timeout if timeout is None else timeout)


def _port_free(coord: str) -> bool:
    """Whether the coordinator's port can be listened on here (rank 0 hosts the rendezvous)."""
    import socket
    port = int(coord.rsplit(":", 1)[1])
    for family, addr in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is free
                s.bind((addr, port))
            return True
        except OSError as e:
            if e.errno in (98, 48):  # EADDRINUSE (Linux, macOS)
                return False
            continue  # the family is unavailable here: try the other one
    return True
