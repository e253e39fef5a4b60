#!/usr/bin/env python3
"""Issue 5's workloads W1-W4 in PyTorch: the peer that compare.py prints beside ChainRule's numbers.

The same models, batches, optimizers and FLOP formula as tests/ChainRule.Benchmarks/WorkloadModels.cs and
WorkloadBenchmarks.cs:

  W1  MLP 784-256-256-10, ReLU, He (Kaiming normal) init, softmax-CE; batch 128; SGD lr 1e-3, momentum 0.9
  W2  256 -> Linear 256 -> 20 x pre-LN residual [LayerNorm -> Linear 256, exact GELU -> Linear 256] -> Linear 10,
      softmax-CE; batch 64; AdamW lr 1e-4 (PyTorch's defaults, as ChainRule's), clip_grad_norm_(1.0)
  W3  the W1 model's forward on one sample, under no_grad: eager, and traced with TorchScript
  W4  MLP 1024-1024-1024-10, ReLU, He init, softmax-CE; batch 256; SGD lr 1e-4
  L1  nn.LSTM(32, 128, batch_first=True) over T = 100 steps at batch 32, PyTorch's default init: zero_grad, forward,
      backward of sum(w * output[:, -1]) with a fixed w; no optimizer step and no input gradient, as
      LstmWorkload.cs times ChainRule's Lstm kernels (issue 17)

Each step cycles 8 label sets over one fixed batch of inputs, as the C# benchmarks do, so that the model cannot
memorize the batch and drive its gradients into subnormal floats.

The BLAS. Debian's python3-torch calls the BLAS through libblas.so.3, which by default may be the reference BLAS
(some 30x slower: not a fair peer). This script takes OpenBLAS's OpenMP build from Debian's libopenblas0-openmp: it
asks `dpkg -L libopenblas0-openmp` where the package put libblas.so.3, puts that folder first on LD_LIBRARY_PATH and
re-executes itself (the dynamic loader reads the variable only at start-up), then checks in /proc/self/maps that the
libblas.so.3 actually loaded is that one. If the package is missing it stops and says how to install it:
    apt-get install libopenblas0-openmp
Threads: torch.set_num_threads(n) and OpenBLAS's openblas_set_num_threads(n), for each n given.

Output: one JSON object on stdout (versions, OpenBLAS's configuration, medians in nanoseconds per workload and thread
count); progress on stderr. Exit code 3 if torch cannot be imported, 4 if OpenBLAS is not found or not loaded.

Run: /usr/bin/python3 tests/ChainRule.Benchmarks/peer/torch_workloads.py [--threads 1,2] [--seconds 3]
"""
import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import time

PACKAGE = "libopenblas0-openmp"
LABEL_SETS = 8


def fail(code, message):
    print(f"torch_workloads.py: {message}", file=sys.stderr)
    sys.exit(code)


def openblas_folder():
    """The folder holding libopenblas0-openmp's libblas.so.3, from dpkg's file list."""
    try:
        files = subprocess.run(["dpkg", "-L", PACKAGE], capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        fail(4, f"{PACKAGE} is not installed (dpkg -L {PACKAGE} failed); install it with: apt-get install {PACKAGE}")
    for path in files:
        if path.endswith("/libblas.so.3") and os.path.exists(path):
            return os.path.dirname(path)
    fail(4, f"dpkg -L {PACKAGE} lists no libblas.so.3; reinstall it with: apt-get install --reinstall {PACKAGE}")


def ensure_openblas_first(folder):
    """Re-executes this script with folder first on LD_LIBRARY_PATH, unless it already is."""
    current = os.environ.get("LD_LIBRARY_PATH", "")
    if current.split(":")[0] == folder:
        return
    env = dict(os.environ, LD_LIBRARY_PATH=folder + (":" + current if current else ""))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def loaded_blas():
    """Paths of the libblas.so.3 and libopenblas this process mapped."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line and "/" in line}
    return sorted(paths)


def models(torch, nn):
    class Mlp(nn.Sequential):
        def __init__(self, sizes):
            layers = []
            for i in range(len(sizes) - 1):
                linear = nn.Linear(sizes[i], sizes[i + 1])
                nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")  # N(0, 2/fan_in), as Init.HeNormal
                nn.init.zeros_(linear.bias)
                layers.append(linear)
                if i < len(sizes) - 2:
                    layers.append(nn.ReLU())
            super().__init__(*layers)

    class Block(nn.Module):
        """x + Linear(GELU(Linear(LayerNorm(x)))): ChainRule's pre-norm residual block with Hidden = width."""

        def __init__(self, width):
            super().__init__()
            self.norm = nn.LayerNorm(width, eps=1e-5)
            self.up = nn.Linear(width, width)
            self.down = nn.Linear(width, width)

        def forward(self, x):
            return x + self.down(nn.functional.gelu(self.up(self.norm(x))))

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Linear(256, 256)
            self.blocks = nn.Sequential(*[Block(256) for _ in range(20)])
            self.logits = nn.Linear(256, 10)

        def forward(self, x):
            return self.logits(self.blocks(self.stem(x)))

    return Mlp, Residual


def flops_train(batch, layers):
    """WorkloadFlops.TrainStep: forward and weight gradient for every layer, input gradient for all but the first."""
    return sum(2 * batch * i * o * (2 if l == 0 else 3) for l, (i, o) in enumerate(layers))


def flops_inference(batch, layers):
    return sum(2 * batch * i * o for i, o in layers)


def flops_lstm_train(batch, steps, inputs, hidden):
    """WorkloadFlops.LstmTrainStep: input projection, T recurrent products forward and T - 1 backward, dW_ih, dW_hh."""
    return 8 * batch * hidden * (2 * steps * inputs + 3 * steps * hidden - hidden)


FLOPS = {
    "W1": flops_train(128, [(784, 256), (256, 256), (256, 10)]),
    "W2": flops_train(64, [(256, 256)] + [(256, 256)] * 40 + [(256, 10)]),
    "W3": flops_inference(1, [(784, 256), (256, 256), (256, 10)]),
    "W4": flops_train(256, [(1024, 1024), (1024, 1024), (1024, 10)]),
    "L1": flops_lstm_train(32, 100, 32, 128),
}


def batch(torch, size, features, classes, seed):
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.rand(size, features, generator=generator) * 2 - 1
    labels = [torch.randint(classes, (size,), generator=generator) for _ in range(LABEL_SETS)]
    return inputs, labels


def measure(call, seconds, calls_per_sample):
    """Median seconds per call over samples of calls_per_sample calls, after a warm-up, for about `seconds`."""
    warm_until = time.perf_counter() + min(1.0, seconds / 3)
    while time.perf_counter() < warm_until:
        call()
    samples = []
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop or len(samples) < 15:
        start = time.perf_counter()
        for _ in range(calls_per_sample):
            call()
        samples.append((time.perf_counter() - start) / calls_per_sample)
    return statistics.median(samples), len(samples)


def run(threads_list, seconds):
    try:
        import torch
        from torch import nn
    except ImportError as error:
        fail(3, f"cannot import torch ({error}); on Debian: apt-get install python3-torch")

    blas = loaded_blas()
    folder = os.environ["LD_LIBRARY_PATH"].split(":")[0]
    if not any(path.startswith(folder + "/") for path in blas):
        fail(4, f"torch loaded {blas or 'no BLAS'}, not {PACKAGE}'s from {folder}")
    openblas = ctypes.CDLL(os.path.join(folder, "libopenblas.so.0"))
    openblas.openblas_get_config.restype = ctypes.c_char_p
    config = openblas.openblas_get_config().decode()
    openblas.openblas_get_corename.restype = ctypes.c_char_p
    core = openblas.openblas_get_corename().decode()

    Mlp, Residual = models(torch, nn)
    loss_fn = nn.CrossEntropyLoss()
    results = []
    for threads in threads_list:
        torch.set_num_threads(threads)
        openblas.openblas_set_num_threads(threads)
        torch.manual_seed(threads)

        def train(model, optimizer, inputs, labels, clip):
            step = [0]

            def call():
                optimizer.zero_grad(set_to_none=False)
                loss = loss_fn(model(inputs), labels[step[0] % LABEL_SETS])
                step[0] += 1
                loss.backward()
                if clip:
                    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
            return call

        w1 = Mlp([784, 256, 256, 10])
        x1, y1 = batch(torch, 128, 784, 10, seed=1)
        w2 = Residual()
        x2, y2 = batch(torch, 64, 256, 10, seed=2)
        w4 = Mlp([1024, 1024, 1024, 10])
        x4, y4 = batch(torch, 256, 1024, 10, seed=4)
        sample = x1[:1].clone()
        with torch.no_grad():
            traced = torch.jit.freeze(torch.jit.trace(Mlp([784, 256, 256, 10]).eval(), sample))

        def lstm_step(lstm, inputs, weights):
            def call():
                lstm.zero_grad(set_to_none=False)
                output, _ = lstm(inputs)
                (output[:, -1] * weights).sum().backward()
            return call

        l1 = nn.LSTM(32, 128, batch_first=True)
        generator = torch.Generator().manual_seed(17)
        xl1 = torch.rand(32, 100, 32, generator=generator) * 2 - 1
        wl1 = torch.rand(32, 128, generator=generator) * 2 - 1

        def predict(module):
            def call():
                with torch.no_grad():
                    module(sample)
            return call

        cases = [
            ("W1", "step", train(w1, torch.optim.SGD(w1.parameters(), lr=1e-3, momentum=0.9), x1, y1, clip=False), 5),
            ("W2", "step", train(w2, torch.optim.AdamW(w2.parameters(), lr=1e-4), x2, y2, clip=True), 1),
            ("W3", "eager", predict(w1), 200),
            ("W3", "TorchScript", predict(traced), 200),
            ("W4", "step", train(w4, torch.optim.SGD(w4.parameters(), lr=1e-4), x4, y4, clip=False), 1),
            ("L1", "step", lstm_step(l1, xl1, wl1), 1),
        ]
        for workload, variant, call, per_sample in cases:
            with open("/proc/loadavg") as f:
                load = float(f.read().split()[0])
            median, count = measure(call, seconds, per_sample)
            print(f"  PyTorch {workload} {variant}, {threads} thread(s): {median * 1e3:.4f} ms (median of {count})", file=sys.stderr)
            results.append({"workload": workload, "variant": variant, "threads": threads, "median_ns": median * 1e9,
                            "samples": count, "calls_per_sample": per_sample, "flops": FLOPS[workload], "load": load})

    return {"torch": torch.__version__, "python": sys.version.split()[0], "openblas_config": config,
            "openblas_core": core, "blas_loaded": blas, "results": results}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per workload and thread count")
    args = parser.parse_args()
    ensure_openblas_first(openblas_folder())
    report = run([int(t) for t in args.threads.split(",")], args.seconds)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
