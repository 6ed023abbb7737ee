"""Every collective x ReduceOp x dtype on each rank (part of compat/distributed/suite.py).

`run()` starts the default process group (checking the errors before and after) and returns, for
each case, either ["ok", values, dtype] or ["err", exception type name].
"""
import torch
import torch.distributed as dist


def run():
    res = {}

    def case(name, fn):
        try:
            t = fn()
            res[name] = ["ok", t.tolist() if isinstance(t, torch.Tensor) else t,
                         str(t.dtype) if isinstance(t, torch.Tensor) else None]
        except Exception as e:  # noqa: BLE001
            res[name] = ["err", type(e).__name__]

    try:
        dist.get_rank()
    except Exception as e:  # noqa: BLE001
        res["before_init"] = [type(e).__name__, str(e)]
    dist.init_process_group("gloo")
    r, n = dist.get_rank(), dist.get_world_size()
    try:
        dist.init_process_group("gloo")
    except Exception as e:  # noqa: BLE001
        res["twice"] = [type(e).__name__, str(e)]
    res["world"] = [r, n, str(dist.get_backend()), dist.is_initialized(), dist.is_available()]

    DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int32, torch.int64,
              torch.uint8, torch.int8, torch.bool]
    OPS = ["SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"]

    def base(dt):
        v = torch.tensor([[1, 2, 3], [4, 0, 7]]) + r * torch.tensor([[2, 1, 0], [3, 5, 1]])
        return (v % 2).bool() if dt == torch.bool else v.to(dt)

    for dt in DTYPES:
        for op in OPS:
            def f(dt=dt, op=op):
                t = base(dt)
                dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
                return t
            case(f"all_reduce/{op}/{dt}", f)

        def bc(dt=dt):
            t = base(dt)
            dist.broadcast(t, src=1)
            return t
        case(f"broadcast/{dt}", bc)

        def ag(dt=dt):
            out = [torch.zeros(2, 3, dtype=dt) for _ in range(n)]
            dist.all_gather(out, base(dt))
            return torch.stack(out)
        case(f"all_gather/{dt}", ag)

        def agt(dt=dt):
            out = torch.zeros(2 * n, 3, dtype=dt)
            dist.all_gather_into_tensor(out, base(dt))
            return out
        case(f"all_gather_into_tensor/{dt}", agt)

    def rs(op):
        out = torch.zeros(3)
        dist.reduce_scatter_tensor(out, torch.arange(3.0 * n) * (r + 1) - 2,
                                   op=getattr(dist.ReduceOp, op))
        return out

    for op in ["SUM", "MAX", "MIN", "PRODUCT"]:
        case(f"reduce_scatter_tensor/{op}", lambda op=op: rs(op))

    def red():
        t = torch.tensor([1.5, -2.0]) * (r + 1)
        dist.reduce(t, dst=0, op=dist.ReduceOp.MAX)
        return t

    case("reduce", red)

    def a2a():
        out = torch.zeros(4, 2, dtype=torch.int64)
        dist.all_to_all_single(out, torch.arange(8).reshape(4, 2) + 10 * r)
        return out

    case("all_to_all_single", a2a)

    def a2a_split(ins, outs, rows_in, rows_out, dt=torch.float32):
        def f():
            x = (torch.arange(rows_in * 2) + 100 * r).reshape(rows_in, 2).to(dt)
            out = torch.zeros(rows_out, 2, dtype=dt)
            dist.all_to_all_single(out, x, outs, ins)
            return out
        return f

    case("all_to_all_single/uneven", a2a_split([1, 2] if r == 0 else [3, 1],
                                               [1, 3] if r == 0 else [2, 1],
                                               3 if r == 0 else 4, 4 if r == 0 else 3))
    case("all_to_all_single/input_splits", a2a_split([1, 3], None, 4, 2 if r == 0 else 6,
                                                     torch.int64))
    case("all_to_all_single/output_splits", a2a_split(None, [2, 2], 4, 4))
    case("all_to_all_single/empty_split", a2a_split([0, 2] if r == 0 else [1, 0],
                                                    [0, 1] if r == 0 else [2, 0],
                                                    2 if r == 0 else 1, 1 if r == 0 else 2))
    case("all_to_all_single/bad_count", a2a_split([4], [4], 4, 4))
    case("all_to_all_single/bad_sum", a2a_split([1, 2], [2, 2], 4, 4))
    case("all_to_all_single/bad_out_sum", a2a_split([2, 2], [1, 2], 4, 4))

    def a2a_list():
        outs = [torch.zeros(2, 3) for _ in range(n)]
        dist.all_to_all(outs, [torch.full((2, 3), 10.0 * r + j) for j in range(n)])
        return torch.stack(outs)

    case("all_to_all", a2a_list)

    def gat():
        gl = [torch.zeros(2) for _ in range(n)] if r == 0 else None
        dist.gather(torch.tensor([r, -r], dtype=torch.float32), gl, dst=0)
        return torch.stack(gl) if gl else None

    case("gather", gat)

    def sca():
        t = torch.zeros(2, dtype=torch.int64)
        dist.scatter(t, [torch.tensor([k, k * k]) for k in range(n)] if r == 1 else None, src=1)
        return t

    case("scatter", sca)

    def objs():
        lst = [None] * n
        dist.all_gather_object(lst, {"r": r, "t": (r, "x" * r)})
        return [str(o) for o in lst]

    case("all_gather_object", objs)

    def bobj():
        lst = [r, {"k": r}] if r == 0 else [None, None]
        dist.broadcast_object_list(lst, src=0)
        return [str(o) for o in lst]

    case("broadcast_object_list", bobj)

    def p2p():
        t = torch.tensor([r + 0.25, 2.0])
        if r == 0:
            dist.send(t * 4, dst=1)
            return t
        if r > 1:
            return t
        src = dist.recv(t, src=0)
        return torch.cat([t, torch.tensor([float(src)])])

    case("send_recv", p2p)

    def asy():
        t = torch.tensor([1.0, r])
        w = dist.all_reduce(t, async_op=True)
        w.wait()
        return t

    case("async_all_reduce", asy)
    dist.barrier()
    return res
