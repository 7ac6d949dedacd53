"""A small CNN on MNIST, written the way a PyTorch user writes one, on minigrad.

    python examples/pytorch_style_mnist.py --data-dir path/to/mnist            # full MNIST
    python examples/pytorch_style_mnist.py --epochs 1 --limit 2000             # a quick look

Replace ``minigrad as torch`` by ``torch`` (and the data loading by torchvision) and this
is PyTorch code; every place where the spelling differs is listed in docs/pytorch.md,
section "The example, line by line".
"""
import argparse
import time

import numpy as np

import minigrad as torch
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.utils.data import DataLoader, Dataset

from autoencoders.data import load_dataset


class MNIST(Dataset):
    """Images as float32 (1, 28, 28) in [0, 1], labels as ints."""

    def __init__(self, split, data_dir=None, limit=0):
        name = "mnist" if data_dir else "mnist-5k"
        images, labels = load_dataset(name, data_dir=data_dir, split=split)
        if limit:
            images, labels = images[:limit], labels[:limit]
        self.images = (images.astype(np.float32) / 255.0)[:, None]
        self.labels = labels.astype(np.int64)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.ModuleList([
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64),
        ])
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.dropout = nn.Dropout(0.3)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        for conv, norm in zip(self.features[::2], self.features[1::2]):
            x = F.max_pool2d(F.relu(norm(conv(x))), 2)
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


def train(model, loader, loss_fn, optimizer, scheduler):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(dim=1) == y).sum().item()
            total += len(y)
    return correct / total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="folder of the four MNIST IDX files "
                        "(default: the 5,000 embedded digits)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs (default: 3)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step (default: 64)")
    parser.add_argument("--limit", type=int, default=0, help="use at most N images per split (0: all)")
    parser.add_argument("--out", default="runs/pytorch_style_mnist.npz", help="where the weights go")
    args = parser.parse_args()

    torch.manual_seed(0)
    train_set = MNIST("train", args.data_dir, args.limit)
    test_set = MNIST("test", args.data_dir, args.limit)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=0)
    test_loader = DataLoader(test_set, batch_size=500)

    model = Net()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=4e-3, epochs=args.epochs,
                                                    steps_per_epoch=len(train_loader))
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        train(model, train_loader, loss_fn, optimizer, scheduler)
        accuracy = evaluate(model, test_loader)
        print(f"epoch {epoch}: test accuracy {100 * accuracy:.2f}% ({time.perf_counter() - start:.0f} s)")

    from pathlib import Path
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out)
    restored = Net()
    restored.load_state_dict(torch.load(args.out))
    print(f"saved to {args.out}; reloaded: test accuracy {100 * evaluate(restored, test_loader):.2f}%")


if __name__ == "__main__":
    main()
