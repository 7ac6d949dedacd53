"""The word application: train word vectors on a corpus, score them, and (optionally) train
gensim's Word2Vec on the same sentences with the same settings in the same run and score it
with the same code.

    scores         WordSim353 and SimLex-999 (Spearman rho, with the share of pairs in the
                   vocabulary), analogy accuracy (on the questions in the vocabulary)
    speed          corpus words per second of training, wall-clock and per CPU second, with
                   the same number of threads on both sides; JIT compilation apart
    neighbours     the nearest words of a few words, side by side
    picture        words_pca: chosen words in 2-D (PCA of their vectors)

``run`` returns an AppResult and the trained Word2Vec; nothing is written here.
"""
from ..apps.result import AppResult, Table, pct
from .gensim_baseline import train_gensim
from .word2vec import settings_dict, train_word2vec
from .word_figures import DEFAULT_WORDS, WordMap
from .word_tasks import evaluate_vectors, identity, porter_stem

NEIGHBOUR_WORDS = ("king", "france", "war", "music", "computer")
OURS, GENSIM = "minigrad", "gensim"


def speed(timing):
    return {**timing, "words_per_second": timing["words"] / max(timing["seconds"], 1e-12),
            "words_per_cpu_second": timing["words"] / max(timing["cpu_seconds"], 1e-12)}


def run(corpus, settings, compare_gensim=False, neighbour_words=NEIGHBOUR_WORDS,
        picture_words=DEFAULT_WORDS, log=None):
    """(AppResult, Word2Vec) for a WordCorpus (corpora.py) and Word2VecSettings."""
    log = log or (lambda message: None)
    normalize = porter_stem() if corpus.stemmed else identity
    log(f"words: {settings.method} on {corpus.name} ({corpus.words:,} words in "
        f"{len(corpus.sentences):,} sentences{', stemmed' if corpus.stemmed else ''}), dim {settings.dim}, "
        f"{settings.epochs} epochs, {settings.threads} thread(s)...")
    model = train_word2vec(corpus.sentences, settings, log=log)
    found = {OURS: {**evaluate_vectors(model.vectors, corpus.stemmed), **speed(model.timing),
                    "compile_seconds": model.compile_seconds, "final_loss": model.history[-1]["loss"]}}
    vectors = {OURS: model.vectors}
    if compare_gensim:
        log(f"gensim: the same settings, {settings.threads} worker(s)...")
        gensim_vectors, timing = train_gensim(corpus.sentences, settings)
        found[GENSIM] = {**evaluate_vectors(gensim_vectors, corpus.stemmed), **speed(timing)}
        vectors[GENSIM] = gensim_vectors
    words = [normalize(w) for w in neighbour_words]
    neighbours = {w: {who: [n for n, _ in v.neighbours(w, 8)] for who, v in vectors.items()}
                  for w in words if all(w in v for v in vectors.values())}
    numbers = {"corpus": corpus.name, "stemmed": corpus.stemmed, "sentences": len(corpus.sentences),
               "words": corpus.words, "vocabulary": len(model.vocabulary),
               "settings": settings_dict(settings), "results": found, "neighbours": neighbours,
               "loss": [h["loss"] for h in model.history]}
    if compare_gensim:
        numbers["ratio"] = {key: value(found[OURS]) / value(found[GENSIM])
                            for key, value in MEASURES.items() if value(found[GENSIM])}
    pictures = {}
    picture = WordMap.of(model.vectors, [normalize(w) for w in picture_words],
                         f"{settings.method} on {corpus.name}: words in 2-D (PCA)")
    if picture is not None:
        pictures["words_pca"] = picture
    return AppResult(numbers, pictures), model


MEASURES = {
    "wordsim353": lambda r: r["wordsim353"]["spearman"],
    "simlex999": lambda r: r["simlex999"]["spearman"],
    "analogies": lambda r: r["analogies"]["accuracy"],
    "words_per_second": lambda r: r["words_per_second"],
    "words_per_cpu_second": lambda r: r["words_per_cpu_second"],
}


def table(numbers):
    """The numbers of ``run`` as a Table: ours beside gensim's, with their ratio."""
    results = numbers["results"]
    who = list(results)
    s = numbers["settings"]
    ours = results[OURS]
    rows = [
        [f"WordSim353 rho ({pct(ours['wordsim353']['coverage'])} of pairs)"]
        + [f"{results[w]['wordsim353']['spearman']:.3f}" for w in who],
        [f"SimLex-999 rho ({pct(ours['simlex999']['coverage'])} of pairs)"]
        + [f"{results[w]['simlex999']['spearman']:.3f}" for w in who],
        [f"analogies, accuracy ({ours['analogies']['questions']:,} questions)"]
        + [pct(results[w]["analogies"]["accuracy"]) for w in who],
        ["words / s (wall clock)"] + [f"{results[w]['words_per_second']:,.0f}" for w in who],
        ["words / CPU s"] + [f"{results[w]['words_per_cpu_second']:,.0f}" for w in who],
        ["training seconds"] + [f"{results[w]['seconds']:.1f}" for w in who],
    ]
    header = ["measure"] + who
    if "ratio" in numbers:
        header.append("minigrad / gensim")
        keys = ["wordsim353", "simlex999", "analogies", "words_per_second", "words_per_cpu_second", None]
        for row, key in zip(rows, keys):
            row.append(f"{numbers['ratio'][key]:.2f}" if key in numbers["ratio"] else "")
    notes = [f"nearest words of {w!r}: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in found.items())
             for w, found in numbers["neighbours"].items()]
    notes.append(f"kernels compiled or loaded from Numba's cache in {ours['compile_seconds']:.1f} s (not in the timings)")
    return Table(
        f"words: {s['method']}, dim {s['dim']}, window {s['window']}, {s['negative']} negatives, "
        f"{s['epochs']} epochs, {s['threads']} thread(s) on {numbers['corpus']} "
        f"({numbers['words']:,} words, vocabulary {numbers['vocabulary']:,})",
        "rho: Spearman with people's ratings; accuracy: share of analogies answered right; higher "
        "is better everywhere", header, rows, notes)
