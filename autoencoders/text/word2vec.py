"""word2vec: skip-gram and CBOW with negative sampling (Mikolov et al., 2013), trained by the
fused kernel of word2vec_kernels.py.

Each word w has two vectors, an input vector v_w (row of W_in, the embedding kept at the end)
and an output vector u_w (row of W_out). Skip-gram predicts each word of the window around a
centre word from that one word; CBOW predicts the centre word from the mean of its window.
Either way the prediction of word o from input vector h is scored by the logistic function of
u_o . h against k noise words drawn from P_n (vocabulary.py):

    skip-gram, centre o, context word c:   L = -log sigma(u_o . v_c) - sum_j log sigma(-u_j . v_c)
    CBOW, centre o, window C:              h = (1/|C|) sum_{c in C} v_c,  the same L with h for v_c

(the derivation, and why this stands in for the softmax over the vocabulary, is in docs/text.md).

The run, as in word2vec.c and gensim:
    vocabulary    words seen >= min_count times, the others dropped from the sentences
    windows       each centre word draws a shrink b in [0, window): its window is window - b
                  words either side, so near words count more on average
    subsampling   each occurrence of w is kept with probability keep(w) (vocabulary.py)
    negatives     k per example, from f(w)^0.75; a draw equal to the centre word is skipped
    learning rate falls linearly from lr to min_lr over all the words of all the epochs
    initial       W_in uniform in [-1/D, 1/D) (gensim 4; word2vec.c uses half that), W_out zeros

    model = train_word2vec(sentences, Word2VecSettings(method="skipgram", dim=100))
    model.vectors.neighbours("king")
"""
import time
from dataclasses import asdict, dataclass, field

import numba
import numpy as np

from minigrad.kernels import backend
from . import word2vec_kernels as kernels
from .vocabulary import Vocabulary
from .word_vectors import WordVectors

METHODS = ("skipgram", "cbow")
DEFAULT_LR = {"skipgram": 0.025, "cbow": 0.05}      # word2vec.c's defaults
CHUNK_WORDS = 10_000                                 # corpus words per chunk (gensim's job size)


@dataclass
class Word2VecSettings:
    method: str = "skipgram"
    dim: int = 100
    window: int = 5
    negative: int = 5
    min_count: int = 5
    sample: float = 1e-3
    lr: float = None           # None: 0.025 for skip-gram, 0.05 for CBOW
    min_lr: float = 1e-4
    epochs: int = 5
    threads: int = 1
    seed: int = 0
    dtype: str = "float32"

    def check(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if min(self.dim, self.window, self.epochs, self.threads, self.min_count) < 1 or self.negative < 1:
            raise ValueError("dim, window, negative, epochs, threads and min_count must be >= 1")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype!r}")
        if self.threads > numba.config.NUMBA_NUM_THREADS:
            raise ValueError(f"threads: at most {numba.config.NUMBA_NUM_THREADS} on this machine "
                             f"(NUMBA_NUM_THREADS), got {self.threads}")
        return self

    @property
    def learning_rate(self):
        return DEFAULT_LR[self.method] if self.lr is None else self.lr


@dataclass
class Word2Vec:
    """What training leaves: the vocabulary, the vectors (W_in), W_out and the record of the
    run (loss per example and seconds per epoch; compile seconds apart)."""
    settings: Word2VecSettings
    vocabulary: Vocabulary
    vectors: WordVectors
    output_vectors: np.ndarray
    history: list = field(default_factory=list)
    compile_seconds: float = 0.0

    @property
    def train_seconds(self):
        return sum(h["seconds"] for h in self.history)

    @property
    def timing(self):
        """{"words": corpus words trained on (in the vocabulary, before subsampling, all epochs),
        "seconds": wall-clock, "cpu_seconds": of the whole process} of the training loop."""
        return {"words": sum(h["words"] for h in self.history), "seconds": self.train_seconds,
                "cpu_seconds": sum(h["cpu_seconds"] for h in self.history)}


def chunk_bounds(offsets, chunk_words=CHUNK_WORDS):
    """Sentence indices where chunks of about chunk_words words start (whole sentences), with
    the number of sentences at the end."""
    ends = offsets[1:]
    bounds, next_at = [0], chunk_words
    for s, end in enumerate(ends[:-1], start=1):
        if end >= next_at:
            bounds.append(s)
            next_at = end + chunk_words
    bounds.append(len(ends))
    return np.array(sorted(set(bounds)), dtype=np.int64)


def chunk_seeds(seed, epoch, n):
    """One generator seed per chunk, mixed from (seed, epoch, chunk) by SplitMix64."""
    mask = (1 << 64) - 1

    def splitmix(x):
        x = (x + 0x9E3779B97F4A7C15) & mask
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
        return x ^ (x >> 31)

    base = splitmix(splitmix(seed) ^ epoch)
    return np.array([splitmix(base ^ c) for c in range(n)], dtype=np.uint64)


def compile_kernels(dtype):
    """Compile (or load from Numba's cache) the training loop for ``dtype`` on a tiny corpus;
    returns the seconds it took, so that timings of the real run leave compilation out."""
    start = time.perf_counter()
    w = np.zeros((2, 1), dtype=dtype)
    kernels.train_epoch(w, w.copy(), np.zeros(1, np.int32), np.array([0, 1], np.int64),
                        np.array([0, 1], np.int64), np.zeros(1, np.uint64), np.ones(2),
                        np.ones(2), np.arange(2), 1, 1, False, 0.0, 0.0, 0, 1)
    return time.perf_counter() - start


def initial_vectors(rng, words, dim, dtype):
    """W_in at the start: uniform in [-1/D, 1/D), gensim 4's range. word2vec.c starts from
    [-0.5/D, 0.5/D); with that half range our analogy accuracy averaged 3.18 % over 8 CBOW
    seeds against 3.47 % with this one (docs/text-results.md), so the yardstick's range it is."""
    return ((rng.random((words, dim)) * 2 - 1) / dim).astype(dtype)


def train_word2vec(sentences, settings=None, log=None, vocabulary=None):
    """Train on ``sentences`` (lists of tokens); returns a Word2Vec. log: a function given one
    progress line per epoch."""
    settings = (settings or Word2VecSettings()).check()
    log = log or (lambda message: None)
    dtype = np.dtype(settings.dtype)
    vocabulary = vocabulary or Vocabulary.build(sentences, min_count=settings.min_count)
    if len(vocabulary) < 2:
        raise ValueError(f"the corpus has {len(vocabulary)} word(s) seen at least "
                         f"{settings.min_count} times; word2vec needs at least 2 (lower min_count?)")
    ids, offsets = vocabulary.encode(sentences)
    rng = np.random.default_rng(settings.seed)
    w_in = initial_vectors(rng, len(vocabulary), settings.dim, dtype)
    w_out = np.zeros_like(w_in)
    keep = vocabulary.keep_probabilities(settings.sample)
    share, alias = vocabulary.negative_table()
    chunks = chunk_bounds(offsets)
    compile_seconds = compile_kernels(dtype) if backend() == "numba" else 0.0
    train = kernels.train_epoch if backend() == "numba" else kernels.train_epoch_reference
    parallel = settings.threads > 1
    saved_threads = numba.get_num_threads()
    words_total = settings.epochs * len(ids)
    history = []
    try:
        numba.set_num_threads(settings.threads)
        for epoch in range(settings.epochs):
            start, cpu_start = time.perf_counter(), time.process_time()
            loss, examples = train(w_in, w_out, ids, offsets, chunks,
                                   chunk_seeds(settings.seed, epoch, len(chunks) - 1), keep,
                                   share, alias, settings.window, settings.negative,
                                   settings.method == "cbow", settings.learning_rate,
                                   settings.min_lr, epoch * len(ids), words_total, parallel)
            seconds = time.perf_counter() - start
            history.append({"epoch": epoch + 1, "loss": loss / max(examples, 1), "examples": examples,
                            "words": len(ids), "seconds": seconds,
                            "cpu_seconds": time.process_time() - cpu_start})
            log(f"epoch {epoch + 1}/{settings.epochs}: loss {history[-1]['loss']:.4f} per example, "
                f"{len(ids) / seconds:,.0f} words/s")
    finally:
        numba.set_num_threads(saved_threads)
    return Word2Vec(settings, vocabulary, WordVectors(vocabulary.words, w_in), w_out, history,
                    compile_seconds)


def settings_dict(settings):
    return {**asdict(settings), "lr": settings.learning_rate}
