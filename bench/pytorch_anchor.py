"""PyTorch anchor for `npm run bench` (bench/bench.ts): workload W in PyTorch, one thread.

(a + b) mod 97, the same split sizes (half of the 9409 pairs for training), one-hot input through a dense first
layer (as a PyTorch user writes it), hidden [width] relu, AdamW (lr 3e-3, betas 0.9/0.98, weight decay 1),
full batch. Every epoch also does what our per-epoch probes do: the L2 norm of every gradient and every
weight tensor, and the test loss/accuracy under no_grad. Prints one JSON line per width: the median
wall-clock time of an epoch and the mean process CPU time per epoch, in ms.

Usage: OPENBLAS_NUM_THREADS=1 python3 pytorch_anchor.py --widths 128,256 --epochs 20 (bench.ts sets it: torch's
set_num_threads(1) does not reach Debian's pthread OpenBLAS, which otherwise runs a second thread in the products).
"""
import argparse
import json
import statistics
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--widths", default="128,256")
parser.add_argument("--epochs", type=int, default=20)
args = parser.parse_args()
torch.set_num_threads(1)
torch.manual_seed(0)

p = 97
pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
labels = (pairs[:, 0] + pairs[:, 1]) % p
perm = torch.randperm(len(pairs))
n_train = len(pairs) // 2
x = torch.cat([torch.nn.functional.one_hot(pairs[:, 0], p), torch.nn.functional.one_hot(pairs[:, 1], p)], 1).float()
train_x, train_y = x[perm[:n_train]], labels[perm[:n_train]]
test_x, test_y = x[perm[n_train:]], labels[perm[n_train:]]

for width in [int(w) for w in args.widths.split(",")]:
    model = torch.nn.Sequential(torch.nn.Linear(2 * p, width), torch.nn.ReLU(), torch.nn.Linear(width, p))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.98), weight_decay=1.0)
    loss_fn = torch.nn.CrossEntropyLoss()
    walls, cpus = [], []
    for epoch in range(args.epochs):
        w0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        out = model(train_x)
        loss = loss_fn(out, train_y)
        loss.backward()
        grad_norms = [q.grad.norm().item() for q in model.parameters()]
        train_acc = (out.argmax(1) == train_y).float().mean().item()
        opt.step()
        weight_norms = [q.detach().norm().item() for q in model.parameters()]
        with torch.no_grad():
            test_out = model(test_x)
            test_loss = loss_fn(test_out, test_y).item()
            test_acc = (test_out.argmax(1) == test_y).float().mean().item()
        walls.append((time.perf_counter() - w0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    steady = slice(2, None)  # the first epochs warm up
    print(json.dumps({"width": width, "wall_ms": statistics.median(walls[steady]), "cpu_ms": statistics.mean(cpus[steady]),
                      "torch": torch.__version__, "threads": torch.get_num_threads(), "loss": loss.item()}), flush=True)
