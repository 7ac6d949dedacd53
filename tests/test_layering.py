"""Arrows point down the stack: read every module's imports (ast, nothing is run) and check
each one against the layers of docs/architecture.md.

    autoencoders.__main__ -> cli -> apps.commands (and the commands of evaluation, transfer, text,
        semisupervised) -> apps.report -> apps.*, evaluation, transfer, text, semisupervised -> train
        -> checkpoint, run_folder -> models, figures, metrics, pca -> data
    minigrad: optim -> nn -> gradcheck -> the engine (tensor, function, autograd, ops)
        -> dtypes, grad_mode, random -> kernels

A module may import from its own layer or any layer below; never from one above. Inside a
layer, imports must not form a cycle, with one documented exception: the engine's
``tensor -> ops`` import at the end of tensor.py (Tensor's operators call the ops, which make
Tensors). The autoencoders' data package stands alone: it imports nothing from minigrad.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (layer rank, module prefixes): the most specific prefix decides a module's layer
LAYERS = [
    (0, ["minigrad.kernels"]),
    (1, ["minigrad.dtypes", "minigrad.grad_mode", "minigrad.random"]),
    (2, ["minigrad.tensor", "minigrad.function", "minigrad.autograd", "minigrad.ops"]),
    (3, ["minigrad.gradcheck"]),
    (4, ["minigrad.nn"]),
    (5, ["minigrad.optim"]),
    (6, ["minigrad"]),  # the package's __init__: the public API gathered in one place
    (7, ["autoencoders.data"]),
    (8, ["autoencoders.metrics", "autoencoders.pca", "autoencoders.figures"]),
    (9, ["autoencoders.models"]),
    (10, ["autoencoders.checkpoint", "autoencoders.run_folder", "autoencoders.arguments"]),
    (11, ["autoencoders.train"]),
    (12, ["autoencoders.apps", "autoencoders.evaluation", "autoencoders.transfer", "autoencoders.text",
          "autoencoders.semisupervised"]),
    (13, ["autoencoders.apps.report"]),
    (14, ["autoencoders.apps.commands", "autoencoders.evaluation.commands", "autoencoders.transfer.commands",
          "autoencoders.text.commands", "autoencoders.semisupervised.commands"]),
    (15, ["autoencoders.cli"]),
    (16, ["autoencoders.__main__", "autoencoders", "autoencoders.semisupervised.__main__"]),
]
ALLOWED_CYCLE = {("minigrad.tensor", "minigrad.ops")}


def layer_of(module):
    best = None
    for rank, prefixes in LAYERS:
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > len(best[1]):
                    best = (rank, prefix)
    return best


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path, name=None):
    """The project modules ``path`` (module ``name``) imports, anywhere in it (top level or
    inside functions)."""
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # "from . import x" may name a submodule: count it as importing base.x
            targets = [f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base
                       for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t.split(".")[0] in ("minigrad", "autoencoders"))
    return found


def is_module(dotted):
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def project_modules():
    for package in ("minigrad", "autoencoders"):
        for path in sorted((ROOT / package).rglob("*.py")):
            yield module_name(path), path


MODULES = dict(project_modules())


def test_every_module_has_a_layer():
    assert not [name for name in MODULES if layer_of(name) is None]


def upward_imports(name, path):
    rank = layer_of(name)[0]
    return [target for target in imports_of(path, name)
            if layer_of(target) and layer_of(target)[0] > rank
            and not target.startswith(name + ".")]  # a package may gather its own modules


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name):
    upward = upward_imports(name, MODULES[name])
    assert not upward, f"{name} (layer {layer_of(name)[0]}) imports from a higher layer: {upward}"


def test_the_data_package_stands_alone():
    for name, path in MODULES.items():
        if name.startswith("autoencoders.data"):
            assert not [t for t in imports_of(path) if t.startswith("minigrad")], name


def test_no_cycles_but_the_documented_one():
    graph = {name: {t for t in imports_of(path) if t in MODULES and t != name}
             for name, path in MODULES.items()}
    for edge in ALLOWED_CYCLE:
        graph[edge[0]].discard(edge[1])
    # a package's __init__ gathers its submodules; that edge is not a dependency of the submodule
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    cycles = []

    def visit(node, stack, on_stack, done):
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt in on_stack:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in done:
                visit(nxt, stack, on_stack, done)
        stack.pop()
        on_stack.discard(node)
        done.add(node)

    done = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [], set(), done)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_an_upward_import(tmp_path):
    """The checker itself, on made-up modules: relative and absolute, at the top and inside a
    function, an arrow up is found; an arrow down is not."""
    kernel = tmp_path / "fake.py"
    kernel.write_text("import numpy\ndef f():\n    from ..tensor import Tensor\n")
    assert upward_imports("minigrad.kernels.fake", kernel) == ["minigrad.tensor"]
    app = tmp_path / "app.py"
    app.write_text("from autoencoders.cli import main\nfrom ..models import MODELS\n")
    assert upward_imports("autoencoders.apps.app", app) == ["autoencoders.cli"]
    fine = tmp_path / "fine.py"
    fine.write_text("from .. import kernels\nfrom ..function import Function\n")
    assert upward_imports("minigrad.ops.fine", fine) == []
