"""The text commands: ``python -m autoencoders words ...`` and ``... documents ...``.

    words      [--corpus wiki] [--method skipgram|cbow] [--compare-gensim]
               train word vectors, score them (WordSim353, SimLex-999, analogies), show
               neighbours; OUT/vectors.npz, OUT/words_pca.png (default OUT: runs/words)
    documents  [--corpus lee] [--query TEXT]
               train the document autoencoder, score it beside LSA and tf-idf, index the
               corpus, answer queries; OUT/index.npz (+ a figure) (default OUT: runs/documents)
    documents  INDEX --query TEXT
               answer queries from an index written before, without training

``add_subparsers(commands)`` adds both to the subparsers of autoencoders/cli.py; they follow
its grammar (arguments.py): what a command reads first is its positional argument, ``--out``
a folder with fixed file names inside, ``--quiet`` silences the progress lines on stderr,
``--json`` prints the numbers as one JSON document instead of a table, and an error a user
can fix ends as arguments.UsageError (one line, exit code 2). Both run offline on gensim's test
data by default.
"""
import functools
import json
from pathlib import Path

from ..arguments import (UsageError, add_limit_argument, add_out_argument, add_quiet_argument,
                         bounded_int, non_negative_float, non_negative_int, positive_float, positive_int)
from . import documents, words
from .corpora import DOCUMENT_CORPORA, WORD_CORPORA, document_corpus, word_corpus
from .doc_autoencoder import INPUTS
from .gensim_data import MissingData
from .word2vec import METHODS, Word2VecSettings

INDEX = "index.npz"
VECTORS = "vectors.npz"


def user_errors(run):
    """Bad input found while running (a corpus that cannot be read, settings that do not fit
    the data, gensim missing) becomes a UsageError."""
    @functools.wraps(run)
    def wrapped(args, log):
        try:
            return run(args, log)
        except (ValueError, MissingData) as err:
            if isinstance(err, UsageError):
                raise
            raise UsageError(str(err)) from None
    return wrapped


def int_list(text):
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise ValueError(f"expected comma-separated integers >= 1, got {text!r}")
    return tuple(values)


def add_subparsers(commands):
    """Add ``words`` and ``documents`` to the subparsers ``commands`` of cli.build_parser."""
    defaults = Word2VecSettings()
    p = commands.add_parser(
        "words", help="word vectors (skip-gram / CBOW) scored on similarity and analogies",
        description="Train word2vec (skip-gram or CBOW with negative sampling) on a corpus; print "
        "Spearman rho on WordSim353 and SimLex-999, analogy accuracy, nearest neighbours and the "
        "training speed; with --compare-gensim, gensim's Word2Vec with the same settings beside "
        "it. Writes OUT/vectors.npz and OUT/words_pca.png.")
    p.add_argument("--corpus", default="wiki", metavar="NAME|PATH",
                   help="; ".join(f"{k}: {v}" for k, v in WORD_CORPORA.items())
                   + "; or a text file / folder (one sentence per line) (default: wiki)")
    p.add_argument("--data-dir", default=None, metavar="DIR", help="folder holding text8 (--corpus text8)")
    p.add_argument("--method", choices=METHODS, default=defaults.method,
                   help=f"skipgram or cbow (default: {defaults.method})")
    p.add_argument("--dim", type=bounded_int(1, 4096), default=defaults.dim,
                   help=f"vector width (default: {defaults.dim})")
    p.add_argument("--window", type=positive_int, default=defaults.window,
                   help=f"largest window, words either side (default: {defaults.window})")
    p.add_argument("--negative", type=positive_int, default=defaults.negative,
                   help=f"negatives per example (default: {defaults.negative})")
    p.add_argument("--min-count", type=positive_int, default=defaults.min_count,
                   help=f"drop words seen fewer times (default: {defaults.min_count})")
    p.add_argument("--sample", type=non_negative_float, default=defaults.sample,
                   help=f"subsampling threshold s, 0 = off (default: {defaults.sample})")
    p.add_argument("--lr", type=positive_float, default=None,
                   help="starting learning rate (default: 0.025 skipgram, 0.05 cbow)")
    p.add_argument("--min-lr", type=non_negative_float, default=defaults.min_lr,
                   help=f"learning rate at the end (default: {defaults.min_lr})")
    p.add_argument("--epochs", type=positive_int, default=defaults.epochs,
                   help=f"passes over the corpus (default: {defaults.epochs})")
    p.add_argument("--threads", type=positive_int, default=defaults.threads,
                   help="threads, for ours and gensim's alike; more than 1 runs Hogwild "
                   f"(default: {defaults.threads})")
    p.add_argument("--dtype", choices=("float32", "float64"), default=defaults.dtype,
                   help=f"weights' dtype (default: {defaults.dtype})")
    p.add_argument("--compare-gensim", action="store_true",
                   help="also train gensim's Word2Vec with the same settings and score it alike")
    common_arguments(p, "runs/words", "sentences")
    p.set_defaults(run=user_errors(cmd_words))

    p = commands.add_parser(
        "documents", help="document autoencoder: retrieval codes vs LSA and tf-idf, queries",
        description="Train an autoencoder on bag-of-words vectors (the most frequent --vocab "
        "words), compare its codes with LSA of the same width and tf-idf (Lee corpus: correlation "
        "with people's ratings; 20news: precision at 11 recall levels), index the corpus "
        "(OUT/index.npz) and answer --query texts. Given an INDEX, only answer the queries.")
    p.add_argument("index", metavar="INDEX", nargs="?", default=None,
                   help="an index.npz written by an earlier 'documents' run: answer the queries "
                   "from it instead of training")
    p.add_argument("--corpus", default=None, metavar="NAME|PATH",
                   help="; ".join(f"{k}: {v}" for k, v in DOCUMENT_CORPORA.items())
                   + "; or a file (one document per line) / folder (one per file) (default: lee)")
    p.add_argument("--data-dir", default=None, metavar="DIR", help="folder holding 20news-bydate-*")
    d = documents.DocumentSettings()
    p.add_argument("--vocab", type=positive_int, default=d.vocab,
                   help=f"most frequent words used, stop words left out (default: {d.vocab})")
    p.add_argument("--code", type=bounded_int(1, 1024), default=d.code,
                   help=f"code width, also LSA's (default: {d.code})")
    p.add_argument("--hidden", type=int_list, default=d.hidden, metavar="W[,W...]",
                   help=f"hidden widths of the encoder (default: {','.join(map(str, d.hidden))})")
    p.add_argument("--epochs", type=positive_int, default=d.epochs,
                   help=f"passes over the training documents (default: {d.epochs})")
    p.add_argument("--batch-size", type=positive_int, default=d.batch_size,
                   help=f"documents per step (default: {d.batch_size})")
    p.add_argument("--lr", type=positive_float, default=d.lr, help=f"AdamW learning rate (default: {d.lr})")
    p.add_argument("--weight-decay", type=non_negative_float, default=d.weight_decay,
                   help=f"AdamW weight decay (default: {d.weight_decay})")
    p.add_argument("--dropout", type=non_negative_float, default=d.dropout,
                   help=f"share of input words dropped while training (default: {d.dropout})")
    p.add_argument("--input", choices=INPUTS, default=d.input,
                   help=f"encoder input: unit rows of log(1 + counts), or counts / length (default: {d.input})")
    p.add_argument("--query", action="append", default=[], metavar="TEXT",
                   help="a query text (repeatable)")
    p.add_argument("--query-file", action="append", default=[], metavar="FILE",
                   help="a file whose text is one query (repeatable)")
    p.add_argument("--top", type=positive_int, default=5, help="documents per query (default: 5)")
    common_arguments(p, "runs/documents", "training documents")
    p.set_defaults(run=user_errors(cmd_documents))


def common_arguments(p, out_default, limited):
    add_limit_argument(p, f"the first N {limited} only")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed (default: 0)")
    add_out_argument(p, out_default, "the outputs")
    p.add_argument("--json", action="store_true",
                   help="print the numbers as one JSON document instead of a table")
    add_quiet_argument(p)


def progress(args, log):
    return (lambda message: None) if args.quiet else log


def save_pictures(args, result, out, log):
    for name, picture in result.pictures.items():
        path = picture.save(out / f"{name}.png")
        if not args.quiet:
            log(str(path))


# ----- words ------------------------------------------------------------------------------------
def cmd_words(args, log):
    settings = Word2VecSettings(method=args.method, dim=args.dim, window=args.window,
                                negative=args.negative, min_count=args.min_count, sample=args.sample,
                                lr=args.lr, min_lr=args.min_lr, epochs=args.epochs,
                                threads=args.threads, seed=args.seed, dtype=args.dtype).check()
    corpus = word_corpus(args.corpus, args.data_dir, args.limit)
    result, model = words.run(corpus, settings, compare_gensim=args.compare_gensim,
                              log=progress(args, log))
    out = Path(args.out or "runs/words")
    path = model.vectors.save(out / VECTORS)
    if not args.quiet:
        log(str(path))
    save_pictures(args, result, out, log)
    print(json.dumps(result.numbers, default=float) if args.json else words.table(result.numbers).render())
    return 0


# ----- documents --------------------------------------------------------------------------------
def queries(args):
    texts = list(args.query)
    for name in args.query_file:
        texts.append(Path(name).read_text(encoding="utf-8", errors="replace"))
    return texts


def cmd_documents(args, log):
    asked = queries(args)
    if args.index is not None:
        if args.corpus is not None:
            raise UsageError(f"INDEX answers queries from {args.index} without training; "
                             "--corpus trains a new one: give one of them")
        if not asked:
            raise UsageError("an INDEX is only read to answer queries: give --query TEXT or --query-file FILE")
        index = documents.load_index(args.index)
        answers = index.query(asked, args.top)
        numbers = {"index": str(args.index), "corpus": index.corpus, "answers": answers_json(asked, answers)}
        print(json.dumps(numbers) if args.json else documents.answers_table(asked, answers).render())
        return 0
    settings = documents.DocumentSettings(
        vocab=args.vocab, code=args.code, hidden=args.hidden, epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
        dropout=args.dropout, input=args.input, seed=args.seed)
    if not args.dropout < 1:
        raise UsageError(f"--dropout must be below 1, got {args.dropout}")
    corpus = document_corpus(args.corpus or "lee", args.data_dir, args.limit)
    result, index = documents.run(corpus, settings, log=progress(args, log))
    out = Path(args.out or "runs/documents")
    out.mkdir(parents=True, exist_ok=True)
    path = documents.save_index(index, out / INDEX)
    if not args.quiet:
        log(str(path))
    save_pictures(args, result, out, log)
    numbers = result.numbers
    answers = index.query(asked, args.top) if asked else None
    if args.json:
        print(json.dumps({**numbers, **({"answers": answers_json(asked, answers)} if asked else {})},
                         default=float))
        return 0
    print(documents.table(numbers).render())
    if asked:
        print()
        print(documents.answers_table(asked, answers).render())
    return 0


def answers_json(asked, answers):
    return [{"query": q, "nearest": [{"document": d, "cosine": c, "text": t} for d, c, t in found]}
            for q, found in zip(asked, answers)]
