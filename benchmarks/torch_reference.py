"""A second peer: the PyTorch reference implementation's Pix2Pix step, for speed only.

The networks and the step of junyanz/pytorch-CycleGAN-and-pix2pix (`unet_256`-style
U-Net with log2(size) levels and dropout, `NLayerDiscriminator` 70x70, BatchNorm,
N(0, 0.02) init, vanilla GAN + 100 L1, Adam 2e-4 / 0.5) and its
`optimize_parameters`: one G forward pass, a D step on the detached fake, then a G step
through the updated D — eager PyTorch, float32, as the reference runs on a CPU.

PyTorch is not a dependency of the package: `pip install -e .[benchmarks]` (or
`pip install torch==2.13.0`). `benchmarks.train_step` runs this in a separate process
(`python -m benchmarks.torch_reference --serve SIZE BATCH`), one step per request, so
the steps interleave with the TensorFlow variants without sharing a thread pool.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def build(size: int, batch: int):
    import torch
    from torch import nn

    class Block(nn.Module):  # UnetSkipConnectionBlock
        def __init__(self, outer, inner, input_nc=None, sub=None, outermost=False,
                     innermost=False, dropout=False):
            super().__init__()
            self.outermost = outermost
            input_nc = input_nc or outer
            downconv = nn.Conv2d(input_nc, inner, 4, 2, 1, bias=False)
            downrelu, uprelu = nn.LeakyReLU(0.2, True), nn.ReLU(True)
            if outermost:
                up = [uprelu, nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1), nn.Tanh()]
                layers = [downconv, sub, *up]
            elif innermost:
                up = [uprelu, nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False),
                      nn.BatchNorm2d(outer)]
                layers = [downrelu, downconv, *up]
            else:
                up = [uprelu, nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=False),
                      nn.BatchNorm2d(outer)] + ([nn.Dropout(0.5)] if dropout else [])
                layers = [downrelu, downconv, nn.BatchNorm2d(inner), sub, *up]
            self.model = nn.Sequential(*layers)

        def forward(self, x):
            return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)

    downs, ngf = size.bit_length() - 1, 64
    block = Block(ngf * 8, ngf * 8, innermost=True)
    for _ in range(downs - 5):
        block = Block(ngf * 8, ngf * 8, sub=block, dropout=True)
    block = Block(ngf * 4, ngf * 8, sub=block)
    block = Block(ngf * 2, ngf * 4, sub=block)
    block = Block(ngf, ngf * 2, sub=block)
    generator = Block(3, ngf, input_nc=3, sub=block, outermost=True)

    seq = [nn.Conv2d(6, 64, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    mult = 1
    for n in range(1, 3):
        prev, mult = mult, min(2**n, 8)
        seq += [nn.Conv2d(64 * prev, 64 * mult, 4, 2, 1, bias=False), nn.BatchNorm2d(64 * mult),
                nn.LeakyReLU(0.2, True)]
    prev, mult = mult, 8
    seq += [nn.Conv2d(64 * prev, 64 * mult, 4, 1, 1, bias=False), nn.BatchNorm2d(64 * mult),
            nn.LeakyReLU(0.2, True), nn.Conv2d(64 * mult, 1, 4, 1, 1)]
    discriminator = nn.Sequential(*seq)

    def init(m):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)

    torch.manual_seed(0)
    generator.apply(init)
    discriminator.apply(init)
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()
    x = torch.rand(batch, 3, size, size) * 2 - 1
    y = torch.rand(batch, 3, size, size) * 2 - 1

    def step():
        fake = generator(x)
        for p in discriminator.parameters():
            p.requires_grad_(True)
        opt_d.zero_grad()
        pred_fake = discriminator(torch.cat([x, fake.detach()], 1))
        pred_real = discriminator(torch.cat([x, y], 1))
        loss_d = 0.5 * (bce(pred_fake, torch.zeros_like(pred_fake))
                        + bce(pred_real, torch.ones_like(pred_real)))
        loss_d.backward()
        opt_d.step()
        for p in discriminator.parameters():
            p.requires_grad_(False)
        opt_g.zero_grad()
        pred_fake = discriminator(torch.cat([x, fake], 1))
        loss_g = bce(pred_fake, torch.ones_like(pred_fake)) + 100.0 * l1(fake, y)
        loss_g.backward()
        opt_g.step()
        return float(loss_g)

    return step


class TorchPeer:
    """The reference step in a child process; `peer()` runs one step and returns its
    seconds (timed in the child, without the request's round trip)."""

    def __init__(self, size: int, batch: int):
        import subprocess

        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}  # no spinning while TF runs
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.torch_reference", "--serve", str(size),
             str(batch)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"torch peer did not start: {line!r}")

    def __call__(self) -> float:
        self.proc.stdin.write("step\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def available() -> bool:
    try:
        import importlib.util

        return importlib.util.find_spec("torch") is not None
    except ValueError:
        return False


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--serve", nargs=2, type=int, metavar=("SIZE", "BATCH"), required=True)
    args = p.parse_args()
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    step = build(*args.serve)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "step":
            break
        t = time.perf_counter()
        step()
        print(time.perf_counter() - t, flush=True)


if __name__ == "__main__":
    main()
