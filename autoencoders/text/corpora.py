"""The corpora, read into lists of tokens (words) or texts with labels (documents).

Word corpora, for the embeddings (a "sentence" is a list of tokens; windows never cross one):

    wiki           gensim's Wikipedia dump sample, markup stripped (wiki.py), one sentence per
                   paragraph: ~450,000 words, NOT stemmed. The default.
    wiki-stemmed   gensim's other Wikipedia extract (head500.noblanks.cor): 331,000 words,
                   Porter-stemmed, so the evaluation words are stemmed the same way.
    lee            the 300 Lee background news articles: ~60,000 words (small; for quick runs)
    text8          the first 10^8 characters of a 2006 English Wikipedia, cleaned (Mahoney):
                   17 million words in one line, cut into sentences of 10,000 words; read from
                   DIR/text8 (--data-dir DIR), never downloaded
    FILE or DIR    your own text: every line of the file (of every file under DIR) a sentence

Document corpora, for retrieval:

    lee            train on the 300 background articles; evaluate on the 50 articles whose
                   1,225 pairs people rated (gensim_data.py)
    20news-mini    gensim's mini 20 Newsgroups sample: 200 real posts, 100 of alt.atheism and
                   100 of sci.space; in each group the 60 % with the lower article numbers
                   (about the earlier posts) train and the other 40 % test, headers dropped
                   (mini_newsgroups.py). Offline.
    20news         the 20 Newsgroups "bydate" split from DIR: DIR/20news-bydate-train/<group>/<post>
                   and DIR/20news-bydate-test/<group>/<post>, headers (up to the first blank
                   line) dropped; the label is the group
    FILE or DIR    your own: one document per line of FILE, or one per file under DIR
"""
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import gensim_data, mini_newsgroups, wiki
from .tokens import tokenize

WORD_CORPORA = {
    "wiki": "gensim's Wikipedia dump sample, markup stripped, ~450,000 words, not stemmed",
    "wiki-stemmed": "gensim's Porter-stemmed Wikipedia extract head500.noblanks.cor, 331,000 words",
    "lee": "the 300 Lee background news articles, ~60,000 words",
    "text8": "text8 (17M words of Wikipedia) read from --data-dir DIR/text8",
}
DOCUMENT_CORPORA = {
    "lee": "train on the 300 Lee background articles, rate the 50 Lee articles against people",
    "20news-mini": "200 real 20 Newsgroups posts (alt.atheism, sci.space) from gensim, split by date",
    "20news": "20 Newsgroups bydate from --data-dir DIR (20news-bydate-train/, 20news-bydate-test/)",
}
TEXT8_SENTENCE = 10_000
NEWSGROUPS_SPLITS = ("20news-bydate-train", "20news-bydate-test")


class CorpusError(ValueError):
    """A corpus that cannot be read as asked (unknown name, missing folder, empty)."""


@dataclass
class WordCorpus:
    name: str
    sentences: list
    stemmed: bool = False

    @property
    def words(self):
        return sum(len(s) for s in self.sentences)


@dataclass
class DocumentCorpus:
    """Texts to train and index on, and what to evaluate with: for lee, the 50 test texts and
    their 50 x 50 human similarities; for 20news, the test texts and both splits' labels."""
    name: str
    train_texts: list
    test_texts: list = None
    train_labels: np.ndarray = None
    test_labels: np.ndarray = None
    label_names: list = None
    human_similarity: np.ndarray = None


# ----- words ------------------------------------------------------------------------------
def word_corpus(name, data_dir=None, limit=0):
    """The sentences of a word corpus (a name of WORD_CORPORA, a file or a folder); limit > 0
    keeps the first ``limit`` sentences (and reads no further where it can)."""
    stemmed = False
    if name == "wiki":
        sentences = (tokenize(p) for p in wiki.paragraphs(gensim_data.data_file(gensim_data.WIKI_DUMP)))
    elif name == "wiki-stemmed":
        sentences = (line.split() for line in read_lines(gensim_data.data_file(gensim_data.WIKI_STEMMED)))
        stemmed = True
    elif name == "lee":
        sentences = (tokenize(line) for line in read_lines(gensim_data.data_file(gensim_data.LEE_BACKGROUND)))
    elif name == "text8":
        sentences = text8_sentences(data_dir)
    else:
        sentences = (tokenize(line) for line in user_lines(name))
    sentences = list(itertools.islice((s for s in sentences if s), limit or None))
    if not sentences:
        raise CorpusError(f"corpus {name!r} has no words")
    return WordCorpus(name, sentences, stemmed)


def text8_sentences(data_dir):
    if data_dir is None:
        raise CorpusError("the text8 corpus is read from a folder: give --data-dir DIR with DIR/text8 "
                          "(unzip text8.zip from http://mattmahoney.net/dc/text8.zip there)")
    path = Path(data_dir) / "text8"
    if not path.is_file():
        raise CorpusError(f"no text8 file in {data_dir} (expected {path})")
    words = path.read_text(encoding="utf-8").split()
    return [words[i:i + TEXT8_SENTENCE] for i in range(0, len(words), TEXT8_SENTENCE)]


def read_lines(path):
    return Path(path).read_text(encoding="utf-8", errors="replace").splitlines()


def user_lines(path):
    """Every line of a file, or of every file under a folder (in sorted order)."""
    path = Path(path)
    if path.is_file():
        return read_lines(path)
    if path.is_dir():
        return [line for f in sorted(p for p in path.rglob("*") if p.is_file()) for line in read_lines(f)]
    raise CorpusError(f"{path} is neither a corpus name ({', '.join(WORD_CORPORA)}) nor a file or folder")


# ----- documents --------------------------------------------------------------------------
def document_corpus(name, data_dir=None, limit=0):
    """A DocumentCorpus (a name of DOCUMENT_CORPORA, a file or a folder); limit > 0 keeps the
    first ``limit`` training (and test) documents."""
    if name == "lee":
        train = read_lines(gensim_data.data_file(gensim_data.LEE_BACKGROUND))
        test = read_lines(gensim_data.data_file(gensim_data.LEE_TEST))
        corpus = DocumentCorpus("lee", [t for t in train if t.strip()], [t for t in test if t.strip()],
                                human_similarity=lee_similarities())
        if len(corpus.test_texts) != len(corpus.human_similarity):
            raise CorpusError(f"lee.cor has {len(corpus.test_texts)} articles but the similarity "
                              f"matrix rates {len(corpus.human_similarity)}")
        if limit:
            corpus.train_texts = corpus.train_texts[:limit]
        return corpus
    if name == "20news":
        return newsgroups(data_dir, limit)
    if name == "20news-mini":
        return mini_newsgroups_corpus(limit)
    path = Path(name)
    if path.is_file():
        texts = [t for t in read_lines(path) if t.strip()]
    elif path.is_dir():
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(path.rglob("*")) if p.is_file()]
    else:
        raise CorpusError(f"{name} is neither a corpus name ({', '.join(DOCUMENT_CORPORA)}) nor a file or folder")
    texts = texts[:limit or None]
    if not texts:
        raise CorpusError(f"corpus {name!r} has no documents")
    return DocumentCorpus(path.name, texts)


def lee_similarities():
    """The 50 x 50 mean human similarities of the Lee articles, made symmetric from the file's
    upper triangle (diagonal 1)."""
    rows = [[float(x) for x in line.split()] for line in
            read_lines(gensim_data.data_file(gensim_data.LEE_SIMILARITIES)) if line.strip()]
    upper = np.triu(np.array(rows))
    return upper + np.triu(upper, 1).T


def newsgroups(data_dir, limit=0):
    """20 Newsgroups bydate: (texts, group index) of both splits, groups in sorted order."""
    if data_dir is None:
        raise CorpusError("20news is read from a folder: give --data-dir DIR holding "
                          f"{' and '.join(NEWSGROUPS_SPLITS)} (from 20news-bydate.tar.gz)")
    root = Path(data_dir)
    missing = [s for s in NEWSGROUPS_SPLITS if not (root / s).is_dir()]
    if missing:
        raise CorpusError(f"{root} lacks {', '.join(missing)}: expected the 20news-bydate layout "
                          f"DIR/{NEWSGROUPS_SPLITS[0]}/<group>/<post>")
    groups = sorted(p.name for p in (root / NEWSGROUPS_SPLITS[0]).iterdir() if p.is_dir())
    splits = []
    for split in NEWSGROUPS_SPLITS:
        texts, labels = [], []
        for label, group in enumerate(groups):
            folder = root / split / group
            for post in sorted(folder.iterdir()) if folder.is_dir() else []:
                if post.is_file():
                    texts.append(without_header(post.read_text(encoding="latin-1")))
                    labels.append(label)
        if limit and len(texts) > limit:   # a spread over the groups, not the first groups only
            keep = np.sort(np.random.default_rng(0).permutation(len(texts))[:limit])
            texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
        splits.append((texts, np.array(labels, dtype=np.int64)))
    (train, train_labels), (test, test_labels) = splits
    if not train or not test:
        raise CorpusError(f"no posts found under {root}")
    return DocumentCorpus("20news", train, test, train_labels, test_labels, groups)


def mini_newsgroups_corpus(limit=0):
    """gensim's 200 mini 20 Newsgroups posts as a DocumentCorpus (see the module docstring)."""
    path = gensim_data.data_file(gensim_data.MINI_NEWSGROUPS)
    try:
        posts = mini_newsgroups.read_posts(path)
    except mini_newsgroups.MiniNewsgroupsError as error:
        raise CorpusError(f"{path}: {error}") from None
    train, test = mini_newsgroups.split_by_article(posts)
    if limit:
        train, test = train[:limit], test[:limit]
    texts = [without_header(t) for t in posts.texts]
    return DocumentCorpus("20news-mini", [texts[i] for i in train], [texts[i] for i in test],
                          posts.labels[train], posts.labels[test], posts.groups)


def without_header(post):
    """A news post without its header (everything up to the first blank line)."""
    head, sep, body = post.partition("\n\n")
    return body if sep else post
