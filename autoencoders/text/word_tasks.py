"""The tests of word vectors: similarity ratings, analogies, nearest neighbours.

Similarity (WordSim353, SimLex-999). People rated word pairs 0-10; the vectors rate them by
cosine. The score is Spearman's rho between the two over the pairs whose two words are both in
the vocabulary, reported with that fraction of pairs (a small vocabulary covers few pairs, and
rho over few pairs is noisy). WordSim353 mixes similarity with relatedness (cup-coffee scores
high); SimLex-999 rates similarity only (and scores antonyms low), which co-occurrence
statistics find harder.

Analogies (Mikolov et al., 2013): "a is to b as c is to d", d to be found. The answer is the
word (other than a, b, c) whose unit vector is nearest in cosine to

    b^ - a^ + c^        (3CosAdd; x^ = x / |x|; gensim's most_similar([b, c], [a]) ranks alike)

Accuracy counts the questions whose four words are all in the vocabulary; that fraction of the
19,544 questions is reported with it. Words are lower-cased; for a stemmed corpus they are
Porter-stemmed as the corpus was (gensim's PorterStemmer, the stemmer that made it).
"""
import numpy as np

from . import gensim_data
from .correlation import spearman

SIMILARITY_SETS = {"wordsim353": gensim_data.WORDSIM353, "simlex999": gensim_data.SIMLEX999}


def identity(word):
    return word


def porter_stem():
    """gensim's Porter stemmer as a function of one (lower-case) word."""
    from gensim.parsing.porter import PorterStemmer
    return PorterStemmer().stem


def read_pairs(name, normalize=identity):
    """[(word1, word2, human score)] of a similarity set (comment lines start with #)."""
    pairs = []
    for line in gensim_data.data_file(SIMILARITY_SETS[name]).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            a, b, score = line.split("\t")[:3]
            pairs.append((normalize(a.lower()), normalize(b.lower()), float(score)))
    return pairs


def read_analogies(normalize=identity):
    """[(section, a, b, c, d)] of Google's analogy questions."""
    questions, section = [], None
    for line in gensim_data.data_file(gensim_data.ANALOGIES).read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            section = line[1:].strip()
        elif line.strip():
            questions.append((section, *(normalize(w.lower()) for w in line.split())))
    return questions


def similarity_score(vectors, pairs):
    """{"spearman": rho over the in-vocabulary pairs, "coverage": their share, "pairs": count}."""
    found = [(a, b, s) for a, b, s in pairs if a in vectors and b in vectors]
    if len(found) < 3:
        return {"spearman": float("nan"), "coverage": len(found) / len(pairs), "pairs": len(found)}
    model = [vectors.similarity(a, b) for a, b, _ in found]
    return {"spearman": spearman(model, [s for _, _, s in found]),
            "coverage": len(found) / len(pairs), "pairs": len(found)}


def analogy_answers(vectors, questions, chunk=512):
    """The 3CosAdd answer (a word) to each (a, b, c) of ``questions`` (all in the vocabulary)."""
    unit, index = vectors.unit, vectors.index
    answers = []
    for start in range(0, len(questions), chunk):
        part = questions[start:start + chunk]
        abc = np.array([[index[a], index[b], index[c]] for a, b, c in part])
        query = unit[abc[:, 1]] - unit[abc[:, 0]] + unit[abc[:, 2]]
        scores = query @ unit.T
        np.put_along_axis(scores, abc, -np.inf, axis=1)          # never one of a, b, c
        answers.extend(vectors.words[i] for i in scores.argmax(axis=1))
    return answers


def analogy_score(vectors, questions):
    """{"accuracy" on the in-vocabulary questions, "coverage", "questions", and per section}."""
    found = [q for q in questions if all(w in vectors for w in q[1:])]
    if not found:
        return {"accuracy": float("nan"), "coverage": 0.0, "questions": 0, "sections": {}}
    answers = analogy_answers(vectors, [q[1:4] for q in found])
    right = np.array([answer == q[4] for answer, q in zip(answers, found)])
    sections = {}
    for (section, *_), ok in zip(found, right):
        hits, total = sections.get(section, (0, 0))
        sections[section] = (hits + int(ok), total + 1)
    return {"accuracy": float(right.mean()), "coverage": len(found) / len(questions),
            "questions": len(found),
            "sections": {s: {"accuracy": h / n, "questions": n} for s, (h, n) in sections.items()}}


def evaluate_vectors(vectors, stemmed=False):
    """Every score of ``vectors``: wordsim353 and simlex999 (rho, coverage) and analogies."""
    normalize = porter_stem() if stemmed else identity
    scores = {name: similarity_score(vectors, read_pairs(name, normalize)) for name in SIMILARITY_SETS}
    scores["analogies"] = analogy_score(vectors, read_analogies(normalize))
    return scores
