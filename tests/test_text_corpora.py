"""Reading text: tokens, Wikipedia markup, gensim's test data (and which of it is stemmed)."""
import numpy as np
import pytest

from autoencoders.text import gensim_data
from autoencoders.text.corpora import CorpusError, document_corpus, word_corpus
from autoencoders.text.tokens import content_words, tokenize
from autoencoders.text.wiki import strip_markup
from autoencoders.text.word_tasks import porter_stem, read_analogies, read_pairs


def test_tokens_are_lower_case_runs_of_letters():
    assert tokenize("The king's 2 horses, Zürich_x!") == ["the", "king", "s", "horses", "zürich", "x"]
    assert content_words(["the", "king", "and", "queen"]) == ["king", "queen"]


def test_wiki_markup_is_stripped():
    text = ("'''Anarchism''' is a [[political philosophy]] that [[advocacy|advocates]] "
            "{{cite|{{nested}}|x}}self-governed<ref name=a>Ref text</ref> societies."
            "<!-- hidden -->\n== History ==\n[[File:A.jpg|thumb|A [[caption]] here]]"
            "[http://example.org the site] and http://bare.url &nbsp;end\n"
            "{| class=wikitable\n| cell\n|}[[fr:Anarchisme]]")
    stripped = strip_markup(text)
    words = tokenize(stripped)
    assert words[:9] == ["anarchism", "is", "a", "political", "philosophy", "that", "advocates",
                         "self", "governed"]
    for gone in ("ref", "cite", "nested", "hidden", "caption", "thumb", "http", "cell", "anarchisme",
                 "nbsp", "wikitable"):
        assert gone not in words
    assert "history" in words and "site" in words and "end" in words


def test_the_default_word_corpus_is_unstemmed_wikipedia():
    corpus = word_corpus("wiki", limit=400)
    words = {w for s in corpus.sentences for w in s}
    assert not corpus.stemmed and len(corpus.sentences) == 400
    assert "philosophy" in words and "philosophi" not in words


def test_the_other_wikipedia_extract_is_porter_stemmed():
    """head500.noblanks.cor is stemmed: its words are gensim's Porter stems, so the evaluation
    words are stemmed the same way for it."""
    corpus = word_corpus("wiki-stemmed", limit=20)
    words = {w for s in corpus.sentences for w in s}
    stem = porter_stem()
    assert corpus.stemmed
    assert "philosophi" in words and "philosophy" not in words
    assert stem("philosophy") == "philosophi" and stem("dictionary") == "dictionari"
    assert read_pairs("wordsim353", stem)[0][:2] == ("love", "sex")


def test_the_evaluation_sets_are_complete():
    assert len(read_pairs("wordsim353")) == 353
    assert len(read_pairs("simlex999")) == 999
    questions = read_analogies()
    assert len(questions) == 19544
    assert questions[0] == ("capital-common-countries", "athens", "greece", "baghdad", "iraq")


def test_the_lee_corpus_and_its_ratings():
    corpus = document_corpus("lee")
    assert len(corpus.train_texts) == 300 and len(corpus.test_texts) == 50
    h = corpus.human_similarity
    assert h.shape == (50, 50)
    np.testing.assert_array_equal(h, h.T)
    np.testing.assert_array_equal(np.diag(h), 1.0)
    assert 0 < h[np.triu_indices(50, 1)].mean() < 1


def test_word_corpora_from_files_and_errors(tmp_path):
    (tmp_path / "a.txt").write_text("One two three.\n\nFour five\n")
    assert word_corpus(str(tmp_path / "a.txt")).sentences == [["one", "two", "three"], ["four", "five"]]
    assert word_corpus(str(tmp_path)).words == 5
    with pytest.raises(CorpusError, match="neither a corpus name"):
        word_corpus(str(tmp_path / "missing"))
    with pytest.raises(CorpusError, match="--data-dir"):
        word_corpus("text8")
    with pytest.raises(CorpusError, match="no text8 file"):
        word_corpus("text8", tmp_path)
    with pytest.raises(CorpusError, match="20news-bydate"):
        document_corpus("20news", tmp_path)


def test_text8_is_cut_into_sentences(tmp_path, monkeypatch):
    from autoencoders.text import corpora

    monkeypatch.setattr(corpora, "TEXT8_SENTENCE", 4)
    (tmp_path / "text8").write_text(" anarchism originated as a term of abuse first used")
    corpus = word_corpus("text8", tmp_path)
    assert [len(s) for s in corpus.sentences] == [4, 4, 1]


def test_missing_gensim_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(gensim_data.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(gensim_data.MissingData, match="pip install gensim"):
        gensim_data.data_file(gensim_data.LEE_TEST)
