"""Every ``python -m autoencoders ...`` command of README.md and docs/**/*.md runs, and none of
them changes a file of the repository.

The commands are read from the Markdown code blocks (continuation lines joined, comments
and anything after ``&&`` dropped) and run in document order, as a newcomer following the
page would run them, in a temporary copy of the tracked files (``git ls-files``, new files
not ignored included) with the
working directory there and PYTHONPATH pointing to it. Each is shrunk to a small slice
first (``shrink``: one epoch, a few hundred embedded digits, the report's smoke preset;
full MNIST becomes the embedded mnist-5k), so the whole set takes a minute or two. A
document that shows a command's output (a ``$ command`` line followed by what it prints,
such as the one-line errors of docs/training.md) is checked against that output.

Commands quoted inline (in a sentence or a table) are not run, but each must parse as
written (``test_inline_commands_parse``).

After each document: every tracked file has the hash it had before, and every new file is
under runs/. The commands that regenerate a published page (``--out docs``) are the one
explicit exception; they run with --out redirected to runs/regenerated/.

To stay fast, one Python process runs all the commands of a document in turn (calling the
command line's ``main`` as ``python -m autoencoders`` does), and the copy starts with the
Numba cache of the checkout, so the kernels are compiled at most once.
"""
import contextlib
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autoencoders.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ["README.md"] + sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md"))
PROGRAM = "python -m autoencoders"
REGENERATED = "runs/regenerated"        # where the --out docs commands write instead
CACHE_SUFFIXES = (".pyc", ".nbi", ".nbc")


# ----- reading the commands -------------------------------------------------------------------
@dataclass
class Documented:
    """One command of a document: where it is, its arguments after ``python -m autoencoders``,
    and for a ``$ command`` transcript the lines the document shows it printing."""
    where: str
    argv: list
    shown_output: list = field(default_factory=list)


def code_blocks(text):
    """(line number of the first line, lines) of each fenced code block."""
    block, start = None, 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            if block is None:
                block, start = [], number + 1
            else:
                yield start, block
                block = None
        elif block is not None:
            block.append(line)


def logical_lines(start, lines):
    """(line number, text) with backslash continuations joined."""
    pending, first = "", None
    for number, line in enumerate(lines, start=start):
        if first is None:
            first = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield first, pending + line
        pending, first = "", None
    if pending:
        yield first, pending


def command_argv(text):
    """The arguments after ``python -m autoencoders`` in a line of shell, or None when the
    line runs no such command (or is a template such as ``<command> [options]``)."""
    found = re.search(re.escape(PROGRAM) + r"(\s|$)", text)     # not python -m autoencoders.text...
    if found is None:
        return None
    at = found.start()
    before = text[:at].strip()
    if before and not before.endswith("&&"):        # a mention inside a comment or a sentence
        return None
    words = []
    for word in shlex.split(text[at:], comments=True)[3:]:
        if word in ("&&", ";", "|", ">", "||"):
            break
        words.append(word)
    if any("<" in word or ">" in word for word in words):
        return None
    return words


def documented_commands(document):
    """Every command of ``document`` (a path relative to the repository), in order."""
    commands = []
    text = (ROOT / document).read_text()
    for start, lines in code_blocks(text):
        current = None
        for number, line in logical_lines(start, lines):
            transcript = line.lstrip().startswith("$ ")
            argv = command_argv(line.lstrip()[2:] if transcript else line)
            if argv is not None:
                current = Documented(f"{document}:{number}", argv)
                commands.append(current)
                if not transcript:
                    current = None
            elif current is not None and line.strip():
                current.shown_output.append(line.strip())
    return commands


def inline_commands(document):
    """The commands written inline in the prose or a table of ``document`` (a single-backtick
    span holding ``python -m autoencoders ...``), as Documented entries."""
    text = (ROOT / document).read_text()
    commands = []
    for span in re.finditer(r"(?<!`)`(" + re.escape(PROGRAM) + r"[^`\n]*)`(?!`)", text):
        argv = command_argv(span.group(1))
        if argv:
            commands.append(Documented(f"{document}:{text.count(chr(10), 0, span.start()) + 1}", argv))
    return commands


# ----- making them small ----------------------------------------------------------------------
def set_flag(argv, flag, value):
    argv = list(argv)
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    return argv


def drop_flag(argv, flag, takes_value=True):
    argv = list(argv)
    while flag in argv:
        at = argv.index(flag)
        del argv[at:at + (2 if takes_value else 1)]
    return argv


CLASSIFIER = [("--classifier-epochs", "2"), ("--classifier-steps", "10")]
SMALL = {   # command -> flags that make it small (set, replacing a documented value)
    "train": [("--epochs", "1"), ("--limit", "200")],
    "evaluate": [("--limit", "200")],
    "generate": [("--limit", "200"), ("--k", "2")],
    "latent": [("--limit", "200")],
    "denoise": [("--limit", "200")],
    "search": [("--limit", "200")],
    "features": [("--limit", "200"), *CLASSIFIER],
    "anomaly": [("--limit", "1000"), ("--epochs", "1"), ("--classes", "0,1")],   # PCA-32 needs 32 images of a digit
    "augment": [("--limit", "300"), ("--epochs", "1"), ("--per-class", "5"), ("--seeds", "0"),
                *CLASSIFIER],
    "reconstruct": [], "sample": [], "plot": [], "models": [], "report": [],
    "classifier": [("--epochs", "1"), ("--limit", "300")],
    "sample-quality": [("--n", "50")],
    "transfer": [("--limit", "600"), ("--seeds", "0"), ("--labels", "10"), ("--pretrain-labels", "10"),
                 ("--source-epochs", "1"), ("--epochs", "1"), ("--min-steps", "5")],
    "semisupervised": [("--limit", "600"), ("--labels", "100"), ("--draws", "1"), ("--first-draw", "0"),
                       ("--m1-epochs", "10"),   # the 2 x 500 softplus M1 has no active unit after 1
                       ("--m2-epochs", "1"), ("--m1m2-epochs", "1"), ("--cvae-epochs", "1"), ("--hidden", "32")],
    "words": [("--epochs", "1"), ("--limit", "200")],
    "documents": [("--epochs", "1"), ("--limit", "60")],
}


def shrink(argv):
    """The documented command on a small slice: the same command and paths, fewer images and
    epochs. Full MNIST (or Fashion-MNIST) becomes the embedded mnist-5k, absolute paths move
    under runs/abs/, and the report runs its smoke preset, with --out docs redirected."""
    if "--help" in argv or "-h" in argv:
        return list(argv)
    command = argv[0]
    assert command in SMALL, f"a documented command this test does not know how to shrink: {command}"
    argv = [f"runs/abs{os.path.expanduser(a)}" if os.path.isabs(os.path.expanduser(a)) else a
            for a in argv]
    if "--dataset" in argv:
        argv = set_flag(argv, "--dataset", "mnist-5k")
    argv = drop_flag(argv, "--data-dir")
    for flag, value in SMALL[command]:
        argv = set_flag(argv, flag, value)
    if command == "train" and "--resume" in argv:     # a resumed run keeps its slice
        argv = set_flag(drop_flag(argv, "--limit"), "--epochs", "2")
    if command == "report":
        argv = drop_flag(drop_flag(argv, "--fast", takes_value=False), "--smoke", takes_value=False)
        argv.append("--smoke")
        if "--out" in argv and argv[argv.index("--out") + 1].rstrip("/") == "docs":
            argv = set_flag(argv, "--out", f"{REGENERATED}/docs")
    return argv


# ----- the copy of the repository --------------------------------------------------------------
def tracked_files():
    """The files of the repository: tracked, or new and not ignored (what a commit would hold)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True)
    return [name for name in listed.stdout.decode().split("\0") if name and (ROOT / name).is_file()]


def hashes(root, names):
    return {name: hashlib.sha256((root / name).read_bytes()).hexdigest() if (root / name).is_file()
            else None for name in names}


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """A copy of the tracked files (with their times, so the Numba cache of the checkout,
    copied beside them, stays valid); returns (folder, tracked names, their hashes)."""
    root = tmp_path_factory.mktemp("repo")
    names = tracked_files()
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, root / name)
    for cached in ROOT.glob("minigrad/**/__pycache__/*.nb[ic]"):
        target = root / cached.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(cached, target)
    return root, names, hashes(root, names)


DRIVER = """
import contextlib, io, json, sys
import autoencoders
from autoencoders.cli import main
commands, results = json.load(sys.stdin), []
for argv in commands:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit:
            code = exit.code
    results.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
json.dump({"package": autoencoders.__file__, "results": results}, open(sys.argv[1], "w"))
"""


def run_in_copy(root, commands, tmp_path):
    """Run the argv lists in one process in the copy; return one result dict per command."""
    report = tmp_path / "results.json"
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", DRIVER, str(report)], cwd=root, env=env, text=True,
                          input=json.dumps(commands), capture_output=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(report.read_text())
    assert Path(found["package"]).resolve().is_relative_to(root.resolve()), found["package"]
    return found["results"]


# ----- the tests -------------------------------------------------------------------------------
def test_the_commands_are_found():
    found = {doc: documented_commands(doc) for doc in DOCUMENTS}
    assert all(c.argv[0] in SMALL for cs in found.values() for c in cs)
    names = {c.argv[0] for cs in found.values() for c in cs}
    assert {"train", "evaluate", "reconstruct", "sample", "plot", "models", "generate", "latent",
            "denoise", "anomaly", "search", "features", "augment", "report"} <= names
    readme = [c.argv for c in found["README.md"]]
    assert ["train", "--model", "dense", "--epochs", "1", "--out", "runs/quickstart"] in readme
    assert ["train", "--model", "vae", "--batch-size", "128", "--lr", "1e-3", "--epochs", "10",
            "--dataset", "mnist", "--data-dir", "path/to/mnist", "--out", "runs/vae"] in readme
    errors = [c for c in found["docs/training.md"] if c.shown_output]
    assert len(errors) == 4 and all("error:" in c.shown_output[0] for c in errors)


def test_command_argv_reads_only_the_program():
    assert command_argv("python -m autoencoders train --epochs 2") == ["train", "--epochs", "2"]
    assert command_argv("python -m autoencoders.text.results words --seeds 0,1") is None
    assert command_argv("see python -m autoencoders train") is None


@pytest.mark.parametrize("document", DOCUMENTS)
def test_inline_commands_parse(document):
    """Commands quoted inline (tables, sentences) are too many to run, but each must be one the
    command line accepts as written: a renamed option would otherwise go stale unnoticed."""
    parser = build_parser()
    for command in inline_commands(document):
        if "--help" in command.argv or "-h" in command.argv:
            continue
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                parser.parse_args(command.argv)
        except SystemExit:
            pytest.fail(f"{command.where}: python -m autoencoders {' '.join(command.argv)}\n{err.getvalue()}")


def test_inline_commands_are_found_and_a_stale_one_fails(monkeypatch, tmp_path):
    assert any(c.argv[0] == "generate" for c in inline_commands("docs/applications-results.md"))
    stale = tmp_path / "stale.md"
    stale.write_text("Run `python -m autoencoders generate --checkpoint a.npz` then ```x``` and "
                     "`python -m autoencoders.text.results words`.\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = inline_commands("stale.md")
    assert [c.argv for c in found] == [["generate", "--checkpoint", "a.npz"]]
    with pytest.raises(pytest.fail.Exception, match="stale.md:1"):
        test_inline_commands_parse("stale.md")


def test_shrink_keeps_the_command_and_its_paths():
    assert shrink(["train", "--model", "vae", "--epochs", "30", "--dataset", "mnist", "--data-dir",
                   "~/data/mnist", "--out", "runs/vae"]) == \
        ["train", "--model", "vae", "--epochs", "1", "--dataset", "mnist-5k", "--out", "runs/vae",
         "--limit", "200"]
    assert shrink(["train", "--out", "runs/vae", "--resume", "--epochs", "40"]) == \
        ["train", "--out", "runs/vae", "--resume", "--epochs", "2"]
    assert shrink(["report", "--data-dir", "x", "--out", "docs"]) == \
        ["report", "--out", f"{REGENERATED}/docs", "--smoke"]
    assert shrink(["evaluate", "/abs/last.npz"]) == ["evaluate", "runs/abs/abs/last.npz", "--limit", "200"]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documented_commands_run_and_change_no_tracked_file(document, copy, tmp_path):
    root, names, before = copy
    commands = documented_commands(document)
    shutil.rmtree(root / "runs", ignore_errors=True)        # each document starts from scratch,
    for name, digest in hashes(root, names).items():         # with the files of the repository
        if digest != before[name]:
            shutil.copy2(ROOT / name, root / name)
    existing = {p for p in root.rglob("*") if p.is_file()}
    results = run_in_copy(root, [shrink(c.argv) for c in commands], tmp_path) if commands else []

    for command, result in zip(commands, results):
        shown = " ".join(["python -m autoencoders", *command.argv])
        expected = 2 if any("error:" in line for line in command.shown_output) else 0
        assert result["code"] == expected, (f"{command.where}: {shown} exited {result['code']}\n"
                                            f"{result['stderr'][-2000:]}")
        for line in command.shown_output:       # the document shows what it prints
            for fragment in line.split("..."):
                assert fragment.strip() in result["stderr"], (command.where, fragment, result["stderr"])

    changed = [name for name, digest in hashes(root, names).items() if digest != before[name]]
    assert not changed, f"commands of {document} changed tracked files: {changed[:10]}"
    new = [p.relative_to(root).as_posix() for p in root.rglob("*")
           if p.is_file() and p not in existing and not p.name.endswith(CACHE_SUFFIXES)]
    outside = [name for name in new if not name.startswith("runs/")]
    assert not outside, f"commands of {document} wrote outside runs/: {outside[:10]}"
    for command in commands:
        if command.argv[0] == "report" and "docs" in command.argv:   # regenerated, redirected
            assert (root / REGENERATED / "docs" / "applications-results.md").is_file()
