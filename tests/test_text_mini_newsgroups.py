"""gensim's mini 20 Newsgroups file: read without scikit-learn, nothing but the allowed globals
unpickled, bounded memory, the split by article number, and the corpus built from it."""
import pickle
import re
import zlib

import numpy as np
import pytest

from autoencoders.text import gensim_data
from autoencoders.text import mini_newsgroups as mini
from autoencoders.text.corpora import document_corpus


def real_posts():
    return mini.read_posts(gensim_data.data_file(gensim_data.MINI_NEWSGROUPS))


def test_the_real_file_holds_200_posts_of_two_groups():
    posts = real_posts()
    assert posts.groups == ["alt.atheism", "sci.space"]
    assert len(posts.texts) == 200 and np.bincount(posts.labels).tolist() == [100, 100]
    assert len(set(posts.articles.tolist())) == 200
    for text, label in zip(posts.texts, posts.labels):       # each post's header names its group
        header = text.partition("\n\n")[0]
        assert re.search(rf"^Newsgroups:.*\b{re.escape(posts.groups[label])}\b", header, re.M)


def test_the_corpus_splits_each_group_by_article_number_and_drops_headers():
    posts = real_posts()
    corpus = document_corpus("20news-mini")
    assert corpus.name == "20news-mini" and corpus.label_names == posts.groups
    assert len(corpus.train_texts) == 120 and len(corpus.test_texts) == 80
    assert np.bincount(corpus.train_labels).tolist() == [60, 60]
    assert np.bincount(corpus.test_labels).tolist() == [40, 40]
    heads = ("Path:", "From:", "Newsgroups:", "Xref:")
    assert not any(t.startswith(heads) for t in corpus.train_texts + corpus.test_texts)
    train, test = mini.split_by_article(posts)
    for label in (0, 1):
        assert posts.articles[train][posts.labels[train] == label].max() < \
            posts.articles[test][posts.labels[test] == label].min()
    assert len(document_corpus("20news-mini", limit=10).train_texts) == 10


def test_split_by_article_on_a_hand_made_set():
    posts = mini.Posts(["a", "b", "c", "d", "e"], np.array([1, 0, 1, 0, 1]), ["x", "y"],
                       np.array([50, 7, 10, 3, 30]))
    train, test = mini.split_by_article(posts, train_share=0.5)
    # group x (articles 7, 3): 1 of 2 trains; group y (50, 10, 30): round(1.5) = 2 of 3 train
    assert train.tolist() == [3, 2, 4] and test.tolist() == [1, 0]


def bunch_pickle(**fields):
    data = {"data": ["Newsgroups: a\n\nhello"], "target": np.array([0]), "target_names": ["a"],
            "filenames": np.array([b"x/a/12"])}
    data.update(fields)
    return pickle.dumps(data, protocol=0)


def write(tmp_path, payload):
    path = tmp_path / "mini_newsgroup"
    path.write_bytes(zlib.compress(payload))
    return path


def test_a_pickle_of_the_same_shape_reads(tmp_path):
    posts = mini.read_posts(write(tmp_path, bunch_pickle()))
    assert posts.texts == ["Newsgroups: a\n\nhello"] and posts.articles.tolist() == [12]


class Boom:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.parametrize("payload, message", [
    (pickle.dumps(Boom(), protocol=0), "refusing to load __builtin__.print"),
    (pickle.dumps({"data": 1}, protocol=0), "expected a dict with data"),
    (bunch_pickle(target=np.array([3])), "one group index"),
    (bunch_pickle(data=["a", "b"]), "one group index"),
    (bunch_pickle(filenames=np.array([b"x/a/notanumber"])), "article number"),
    (b"not a pickle at all", "not a readable pickle"),
], ids=["a function", "no fields", "label out of range", "labels too few", "no article number",
        "not a pickle"])
def test_bad_files_get_one_line(tmp_path, capsys, payload, message):
    with pytest.raises(mini.MiniNewsgroupsError, match=message) as error:
        mini.read_posts(write(tmp_path, payload))
    assert "\n" not in str(error.value)
    assert "never run" not in capsys.readouterr().out


def test_memory_is_bounded_and_damaged_compression_is_named(tmp_path):
    bomb = zlib.compress(b"\0" * (mini.MAX_BYTES + 1))
    with pytest.raises(mini.MiniNewsgroupsError, match="more than"):
        mini.decompress(bomb)
    with pytest.raises(mini.MiniNewsgroupsError, match="not zlib"):
        mini.decompress(b"plain bytes")
    with pytest.raises(mini.MiniNewsgroupsError, match="cut short"):
        mini.decompress(zlib.compress(b"x" * 1000)[:-10])
