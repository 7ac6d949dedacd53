"""The same models in PyTorch, timed on the same data in the same session.

PyTorch is optional and never a dependency of minigrad: this module is used
only by the benchmarks, and only when ``import torch`` works. It exists so
that "as fast as PyTorch" is a ratio measured on this machine, not a
remembered number.

    python benchmarks/torch_reference.py --data-dir ../shared/data/mnist --epochs 2
"""
import argparse
import json
import time

import numpy as np


def available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _vae_mlp(torch):
    nn = torch.nn

    class VAE(nn.Module):
        """784-400-20-400-784, ReLU: the PyTorch examples repository's VAE."""

        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

        def forward(self, x):
            h = torch.relu(self.fc1(x))
            mu, logvar = self.fc21(h), self.fc22(h)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            return self.fc4(torch.relu(self.fc3(z))), mu, logvar

    def loss(model, x):
        logits, mu, logvar = model(x)
        bce = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (bce + kld) / x.shape[0]

    return VAE(), loss, True


def _conv_ae(torch):
    nn = torch.nn

    class ConvAE(nn.Module):
        """The same network as autoencoders/models/conv.py with its defaults ('pool' variant,
        channels 16-32-64, code 32)."""

        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
                nn.Flatten(), nn.Linear(64 * 4 * 4, 32))
            self.dec = nn.Sequential(
                nn.Linear(32, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
                nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                nn.Conv2d(16, 1, 1))

        def forward(self, x):
            return self.dec(self.enc(x))

    def loss(model, x):
        logits = model(x)
        return nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]

    return ConvAE(), loss, False


def _deep_ae(torch):
    nn = torch.nn

    class DeepAE(nn.Module):
        """784-128-64-32-64-128-784, ReLU on every hidden layer and the code (Keras blog's deep
        autoencoder), initialized as autoencoders/models/deep.py does (He normal, zero bias)."""

        def __init__(self):
            super().__init__()
            sizes = [784, 128, 64, 32]
            enc = [nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
            dec = [nn.Linear(b, a) for a, b in zip(sizes, sizes[1:])][::-1]
            for layer in enc + dec:
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                nn.init.zeros_(layer.bias)
            self.layers = nn.ModuleList(enc + dec)

        def forward(self, x):
            for i, layer in enumerate(self.layers):
                x = layer(x)
                if i < len(self.layers) - 1:
                    x = torch.relu(x)
            return x

    def loss(model, x):
        return nn.functional.binary_cross_entropy_with_logits(model(x), x, reduction="sum") / x.shape[0]

    return DeepAE(), loss, True


def _recurrent_ae(torch):
    nn = torch.nn

    class RecurrentAE(nn.Module):
        """The same network as autoencoders/models/recurrent.py with its defaults (hidden 128, code 32,
        one layer): rows (B, 28, 28) -> LSTM(28, 128) -> h_28 -> Linear(128, 32) -> z, then z at every
        step -> LSTM(32, 128) -> Linear(128, 28) per step -> logits (B, 1, 28, 28)."""

        def __init__(self):
            super().__init__()
            self.encoder = nn.LSTM(28, 128, num_layers=1, batch_first=True)
            self.project = nn.Linear(128, 32)
            self.decoder = nn.LSTM(32, 128, num_layers=1, batch_first=True)
            self.to_row = nn.Linear(128, 28)

        def forward(self, x):
            _, (h_n, _) = self.encoder(x.reshape(x.shape[0], 28, 28))
            z = self.project(h_n[-1])
            out, _ = self.decoder(z.unsqueeze(1).expand(z.shape[0], 28, 32))
            return self.to_row(out).reshape(x.shape)

    def loss(model, x):
        logits = model(x)
        return nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]

    return RecurrentAE(), loss, False


MODELS = {"vae": _vae_mlp, "conv": _conv_ae, "deep": _deep_ae, "recurrent": _recurrent_ae}


def test_loss_after_training(name, train, test, epochs, batch_size=128, lr=1e-3, threads=2, seed=0):
    """Train PyTorch's ``name`` with Adam(lr) and return its mean test loss (per image)."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model, loss_fn, flat = MODELS[name](torch)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    shape = (-1, 784) if flat else (-1, 1, 28, 28)
    tr = torch.from_numpy(np.ascontiguousarray(train, dtype=np.float32)).reshape(shape)
    te = torch.from_numpy(np.ascontiguousarray(test, dtype=np.float32)).reshape(shape)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(tr)))
        for i in range(0, len(tr), batch_size):
            opt.zero_grad()
            loss = loss_fn(model, tr[order[i:i + batch_size]])
            loss.backward()
            opt.step()
    with torch.no_grad():
        return float(sum(loss_fn(model, te[i:i + 1000]).item() * len(te[i:i + 1000])
                         for i in range(0, len(te), 1000)) / len(te))


def seconds_per_epoch(name, images, epochs=2, batch_size=128, threads=2, seed=0):
    """Train PyTorch's version of ``name`` with Adam(1e-3); seconds per epoch (median)."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model, loss_fn, flat = MODELS[name](torch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = images.reshape(len(images), -1) if flat else images.reshape(len(images), 1, 28, 28)
    data = torch.from_numpy(np.ascontiguousarray(data, dtype=np.float32))
    rng = np.random.default_rng(seed)
    times, last = [], None
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(data)))
        start = time.perf_counter()
        for i in range(0, len(data), batch_size):
            x = data[order[i:i + batch_size]]
            opt.zero_grad()
            loss = loss_fn(model, x)
            loss.backward()
            opt.step()
            last = loss.item()
        times.append(time.perf_counter() - start)
    return {"model": name, "seconds_per_epoch": float(np.median(times)), "epoch_seconds": times,
            "last_batch_loss": last, "threads": threads, "torch": torch.__version__}


def main(argv=None):
    from autoencoders.data import load_dataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory with the MNIST IDX files (default: embedded 5k digits)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--models", default="vae,conv")
    args = parser.parse_args(argv)
    if not available():
        raise SystemExit("PyTorch is not importable; install torch==2.13.0 to run this reference")
    if args.data_dir:
        images = load_dataset("mnist", data_dir=args.data_dir, split="train", download=False).images
    else:
        images = load_dataset("mnist-5k", split="train").images
    images = images.astype(np.float32) / np.float32(255)
    for name in args.models.split(","):
        print(json.dumps(seconds_per_epoch(name, images, epochs=args.epochs)))


if __name__ == "__main__":
    main()
