"""Where the offline text comes from: the test data that the gensim package installs with
itself (``gensim/test/test_data/``). Nothing is copied into this repository; the files are
read where pip put them, found without importing gensim (``importlib.util.find_spec``).

    file                                  what it is
    enwiki-latest-pages-articles1.xml-    a Wikipedia dump sample (206 articles, 6 MB of
      p000000010p000030302-shortened.bz2  wikitext, ~450,000 words of prose): NOT stemmed
    head500.noblanks.cor                  250 Wikipedia articles as one line each, 331,000
                                          words, lower-cased and Porter-STEMMED ("philosophi")
    lee_background.cor                    300 news articles (Lee et al., 2005), ~60,000 words
    lee.cor                               the 50 articles people compared, one per line
    similarities0-1.txt                   their mean human similarity, a 50 x 50 matrix (the
                                          upper triangle is filled; scores in [0, 1])
    wordsim353.tsv                        353 word pairs, human similarity 0-10 (Finkelstein 2002)
    simlex999.txt                         999 word pairs, similarity not relatedness, 0-10 (Hill 2015)
    questions-words.txt                   19,544 analogy questions a : b :: c : d (Mikolov 2013)
    mini_newsgroup                        200 posts of 20 Newsgroups (alt.atheism, sci.space),
                                          a compressed pickle (read by mini_newsgroups.py)
"""
import importlib.util
from pathlib import Path

WIKI_DUMP = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
WIKI_STEMMED = "head500.noblanks.cor"
LEE_BACKGROUND = "lee_background.cor"
LEE_TEST = "lee.cor"
LEE_SIMILARITIES = "similarities0-1.txt"
WORDSIM353 = "wordsim353.tsv"
SIMLEX999 = "simlex999.txt"
ANALOGIES = "questions-words.txt"
MINI_NEWSGROUPS = "mini_newsgroup"
INSTALL_HINT = "pip install gensim (or pip install -e .[text])"


class MissingData(FileNotFoundError):
    """gensim, or one of its test-data files, is not installed."""


def test_data_dir():
    """The folder of gensim's test data."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise MissingData(f"the offline text corpora come with the gensim package, which is not "
                          f"installed: {INSTALL_HINT}")
    return Path(list(spec.submodule_search_locations)[0]) / "test" / "test_data"


def data_file(name):
    """The path of one of gensim's test-data files."""
    path = test_data_dir() / name
    if not path.is_file():
        raise MissingData(f"{path} is missing from the installed gensim (reinstall: {INSTALL_HINT})")
    return path
