"""The transformer block the benchmarks share: nanoGPT's pre-norm causal block, in any library
with torch's API (torch or jtorch), so both sides of a ratio run the same model."""
from __future__ import annotations


def block(lib, E, H):
    """A block of width `E` with `H` heads (parameters ln1, qkv, proj, ln2, fc, out)."""
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(E), nn.LayerNorm(E)
            self.qkv, self.proj = nn.Linear(E, 3 * E), nn.Linear(E, E)
            self.fc, self.out = nn.Linear(E, 4 * E), nn.Linear(4 * E, E)

        def forward(self, x):
            B, T, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(E, dim=2)
            q, k, v = (t.view(B, T, H, E // H).transpose(1, 2) for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).reshape(B, T, E))
            return x + self.out(F.gelu(self.fc(self.ln2(x))))
    return Block()
