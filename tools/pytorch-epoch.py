#!/usr/bin/env python3
"""The recipe's full-batch training epoch in plain PyTorch, timed: the yardstick for BitOnnx's epoch.

It follows docs/recipe.md (docs/speed-and-grokfast.md, "Against PyTorch", has the numbers). The default style runs
as the papers' code does: every layer at all three positions (einsum attention, the last position's logits taken
at the end). --style last-position computes only what the last position's logits need, as BitOnnx does, with
plain matmuls. Both: the log-softmax in float64, AdamW from torch.optim, and the straight-through estimator written
as `c + (q(c) - c).detach()`. No test pass, because BitOnnx's epoch (TrainingStep.Run) has none either.

Prints one JSON line: the median and quartiles, in milliseconds, of the epochs after the warm-up ones. With
--serve it runs one epoch per line read instead, for tests/BitOnnx.Benchmarks' PyTorchEpochBenchmarks.
Needs PyTorch (Debian 12: apt-get install python3-torch libopenblas0-pthread).
Usage: pytorch-epoch.py --model li2024-binary [--style originals|last-position] [--threads 2] [--epochs 40]
                        [--warmup 5] [--p 113] [--serve]
"""
import argparse
import json
import math
import statistics
import sys
import time

try:
    import torch
except ImportError:
    sys.exit("error: this Python cannot import torch; install PyTorch (Debian 12: apt-get install python3-torch "
             "libopenblas0-pthread) or run the script with a Python that has it")

D_MODEL, N_HEADS, D_HEAD, D_MLP, N_CTX = 128, 4, 32, 512, 3


def quantize(w, mode):
    """Per-tensor BitNet quantizers with the paper's straight-through estimator (the mean is not detached)."""
    if mode == "none":
        return w
    c = w - w.mean()
    if mode == "binary":
        q = torch.sign(c)
    else:
        gamma = c.abs().mean().clamp(min=1e-5)
        q = gamma * torch.clamp(torch.round(c / gamma), -1, 1)
    return c + (q - c).detach()


class OneLayerTransformer(torch.nn.Module):
    def __init__(self, preset, mode, p, generator, last_position):
        super().__init__()
        self.preset, self.mode, self.last_position = preset, mode, last_position
        vocab = p + 1

        def param(*shape, std=None, bound=None):
            t = torch.empty(*shape)
            if std is not None:
                t.normal_(0, std, generator=generator)
            else:
                t.uniform_(-bound, bound, generator=generator)
            return torch.nn.Parameter(t)

        if preset == "nanda2023":
            s = 1 / math.sqrt(D_MODEL)
            self.W_E = param(vocab, D_MODEL, std=s)
            self.W_pos = param(N_CTX, D_MODEL, std=s)
            self.W_Q, self.W_K, self.W_V = (param(N_HEADS, D_MODEL, D_HEAD, std=s) for _ in range(3))
            self.W_O = param(N_HEADS, D_HEAD, D_MODEL, std=s)
            self.W_in = param(D_MODEL, D_MLP, std=s)
            self.W_out = param(D_MLP, D_MODEL, std=s)
            self.W_U = param(D_MODEL, p, std=1 / math.sqrt(vocab))
        else:
            self.W_E = param(vocab, D_MODEL, std=1.0)
            b = 1 / math.sqrt(D_MODEL)
            self.W_Q, self.W_K, self.W_V = (param(N_HEADS, D_MODEL, D_HEAD, bound=b) for _ in range(3))
            self.W_O = param(N_HEADS, D_HEAD, D_MODEL, bound=1 / math.sqrt(N_HEADS * D_HEAD))
            self.W_in = param(D_MODEL, D_MLP, bound=b)
            self.W_out = param(D_MLP, D_MODEL, bound=1 / math.sqrt(D_MLP))
            self.W_U = param(D_MODEL, p, bound=b)
            self.norm_g = torch.nn.Parameter(torch.ones(D_MODEL))
        every = torch.ones(N_CTX, N_CTX, dtype=torch.bool)
        self.register_buffer("visible", torch.tril(every) if preset == "nanda2023" else every)

    def forward(self, tokens):
        """Logits at the last position, [batch, p]."""
        x = self.W_E[tokens]
        if self.preset == "nanda2023":
            x = x + self.W_pos
        scale = math.sqrt(D_HEAD if self.preset == "nanda2023" else D_MODEL)
        x = self.attend_from_last(x, scale) if self.last_position else self.attend_everywhere(x, scale)
        x = x + torch.relu(x @ self.q(self.W_in)) @ self.q(self.W_out)
        if self.preset == "li2024":
            x = x / x.norm(dim=-1, keepdim=True).clamp(min=1e-12) * self.norm_g * math.sqrt(D_MODEL)
        logits = x @ self.W_U
        return logits if self.last_position else logits[:, -1]

    def q(self, w):
        return quantize(w, self.mode)

    def attend_everywhere(self, x, scale):
        """The originals: every position on to the logits (einsum attention); the last one is taken at the end."""
        queries = torch.einsum("bpd,hde->bhpe", x, self.q(self.W_Q))
        keys = torch.einsum("bpd,hde->bhpe", x, self.q(self.W_K))
        values = torch.einsum("bpd,hde->bhpe", x, self.q(self.W_V))
        scores = torch.einsum("bhqe,bhke->bhqk", queries, keys) / scale
        scores = scores.masked_fill(~self.visible, float("-inf"))
        mixed = torch.einsum("bhqk,bhke->bhqe", scores.softmax(-1), values)
        return x + torch.einsum("bhqe,hed->bqd", mixed, self.q(self.W_O))

    def attend_from_last(self, x, scale):
        """BitOnnx's shortcut in PyTorch: only the last position's query (it sees all three) and what follows it."""
        batch = x.shape[0]
        heads = lambda w: self.q(w).permute(1, 0, 2).reshape(D_MODEL, N_HEADS * D_HEAD)
        queries = (x[:, -1] @ heads(self.W_Q)).view(batch, N_HEADS, 1, D_HEAD)
        keys = (x @ heads(self.W_K)).view(batch, N_CTX, N_HEADS, D_HEAD).transpose(1, 2)
        values = (x @ heads(self.W_V)).view(batch, N_CTX, N_HEADS, D_HEAD).transpose(1, 2)
        pattern = (queries @ keys.transpose(-1, -2) / scale).softmax(-1)
        mixed = (pattern @ values).view(batch, N_HEADS * D_HEAD)
        return x[:, -1] + mixed @ self.q(self.W_O).reshape(N_HEADS * D_HEAD, D_MODEL)


def train_split(p, fraction, generator):
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    pairs = torch.stack([a.flatten(), b.flatten(), torch.full((p * p,), p)], dim=1)
    order = torch.randperm(p * p, generator=generator)[: int(fraction * p * p)]
    tokens = pairs[order]
    return tokens, (tokens[:, 0] + tokens[:, 1]) % p


def blas_core():
    """OpenBLAS's kernel family, which decides its speed (an old OpenBLAS takes a CPU newer than itself for a Prescott)."""
    try:
        import ctypes
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "not OpenBLAS"


def aten_capability():
    lines = [l for l in torch.__config__.show().splitlines() if "CPU capability usage" in l]
    return lines[0].split(":")[1].strip() if lines else "unknown"


class Epoch:
    """One full-batch step of the recipe: forward at every position, float64 cross-entropy, backward, AdamW."""

    def __init__(self, model_name, p, last_position):
        generator = torch.Generator().manual_seed(0)
        preset, mode = model_name.split("-")
        self.model = OneLayerTransformer(preset, mode, p, generator, last_position)
        self.tokens, self.labels = train_split(p, 0.3, generator)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))

    def run(self):
        logits = self.model(self.tokens).to(torch.float64)
        loss = -logits.log_softmax(-1).gather(-1, self.labels[:, None]).mean()
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        return loss.item()


def serve(epoch):
    """For a timing harness in another process: one epoch per line read, answered with its loss."""
    print(f"ready torch={torch.__version__} aten={aten_capability()} blas={blas_core()}", flush=True)
    for line in sys.stdin:
        if line.strip() != "epoch":
            print(f"error: expected 'epoch', got {line.strip()!r}", flush=True)
            continue
        print(f"done {epoch.run():.6f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, choices=["li2024-none", "li2024-binary", "li2024-ternary", "nanda2023-none"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=40, help="timed epochs")
    parser.add_argument("--warmup", type=int, default=5, help="untimed epochs first")
    parser.add_argument("--p", type=int, default=113)
    parser.add_argument("--style", choices=["originals", "last-position"], default="originals",
                        help="every position as the papers' code does, or only what the last position needs, as BitOnnx does")
    parser.add_argument("--serve", action="store_true", help="run one epoch per 'epoch' line on stdin instead")
    args = parser.parse_args()
    if args.epochs < 1 or args.warmup < 0 or args.threads < 1 or args.p < 2:
        sys.exit("error: --epochs and --threads must be at least 1, --warmup at least 0 and --p at least 2")

    torch.set_num_threads(args.threads)
    epoch = Epoch(args.model, args.p, args.style == "last-position")
    if args.serve:
        serve(epoch)
        return
    times = []
    for index in range(args.warmup + args.epochs):
        start = time.perf_counter()
        loss = epoch.run()
        if index >= args.warmup:
            times.append((time.perf_counter() - start) * 1000)
    quartiles = statistics.quantiles(times, n=4) if len(times) > 1 else times * 3
    print(json.dumps({
        "model": args.model, "style": args.style, "threads": args.threads, "epochs": args.epochs, "torch": torch.__version__,
        "aten": aten_capability(), "blas": blas_core(),
        "median_ms": round(statistics.median(times), 2), "q1_ms": round(quartiles[0], 2), "q3_ms": round(quartiles[2], 2),
        "final_loss": round(loss, 6),
    }))


if __name__ == "__main__":
    main()
