"""Expected failures of the OpInfo judge: op_db entry name -> why jtorch differs.

Each entry is a known, accepted difference; the report lists it as XFAIL instead of FAIL
(it still counts as not fully passing). Keep reasons short and specific.
"""
XFAIL = {
    # Random sampling: jtorch's JAX PRNG cannot reproduce torch's random streams.
    "normal.in_place": "random values differ from torch's generator by design",
    "normal": "random values differ from torch's generator by design",
    "bernoulli": "random values differ from torch's generator by design",
    "multinomial": "random values differ from torch's generator by design",
    "uniform": "random values differ from torch's generator by design",
    "randint": "random values differ from torch's generator by design",
    "randn": "random values differ from torch's generator by design",
    "rand_like": "random values differ from torch's generator by design",
    "randint_like": "random values differ from torch's generator by design",
    "randn_like": "random values differ from torch's generator by design",
    # Which index torch reports among equal values is its selection algorithm's accident.
    "kthvalue": "index among tied integer values differs (torch's quickselect order)",
    "sort": "indices of tied values with stable=False follow torch's unstable CPU sort (jtorch is stable)",
    "argsort": "indices of tied values with stable=False follow torch's unstable CPU sort",
    "topk": "indices of tied integer values follow torch's selection order",
}
