"""gensim's Word2Vec on the same sentences with the same settings: the yardstick.

The settings map one to one: vector_size = dim, window, negative, min_count, sample,
sg = (method == skipgram), cbow_mean = 1 (CBOW averages its window), hs = 0 (negative
sampling only), ns_exponent = 0.75, alpha = lr, min_alpha = min_lr, epochs, workers = threads,
seed. The vocabulary is built first and left out of the timing, as ours is; the clock runs
around ``train`` only, so words per second measure the same thing on both sides: corpus words
in the vocabulary (before subsampling) times epochs, divided by the seconds of training. The
process's CPU seconds are recorded too: on a shared machine they say what the wall clock
cannot (CPU words per second = words / CPU seconds, all threads counted).

Two differences remain inside gensim's loop: it looks the logistic function up in a table of
1,000 values over [-6, 6] and skips a target whose score lies outside, and its random numbers
come from its own generator. With one worker gensim still runs a producer thread that cuts
the corpus into jobs beside the worker.
"""
import time

from .word_vectors import WordVectors


def train_gensim(sentences, settings):
    """(WordVectors, timing) of gensim's Word2Vec with ``settings``; timing: {"words": corpus
    words trained on (all epochs), "seconds": wall-clock, "cpu_seconds": of the whole process}."""
    from gensim.models import Word2Vec       # imported here: gensim is an optional extra

    model = Word2Vec(vector_size=settings.dim, window=settings.window, negative=settings.negative,
                     min_count=settings.min_count, sample=settings.sample,
                     sg=int(settings.method == "skipgram"), cbow_mean=1, hs=0, ns_exponent=0.75,
                     alpha=settings.learning_rate, min_alpha=settings.min_lr, epochs=settings.epochs,
                     workers=settings.threads, seed=settings.seed)
    model.build_vocab(sentences)
    words = sum(model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key)
    start, cpu_start = time.perf_counter(), time.process_time()
    model.train(sentences, total_examples=len(sentences), epochs=settings.epochs)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    vectors = WordVectors(model.wv.index_to_key, model.wv.vectors.copy())
    return vectors, {"words": words * settings.epochs, "seconds": seconds, "cpu_seconds": cpu_seconds}
