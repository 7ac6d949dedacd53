"""The document application: train the autoencoder on a corpus's bag-of-words vectors, put
the baselines beside it, index the documents by their codes, answer queries.

    Lee corpus   train on the 300 background articles; for each of the 1,225 pairs of the 50
                 rated articles compare the cosine of the two codes with the people's mean
                 rating: Pearson's r and Spearman's rho, for the autoencoder's codes, LSA codes
                 of the same width (fit on the same 300) and plain tf-idf (one dimension per
                 vocabulary word)
    20news,      train on the training posts; every test post a query against the other test
    20news-mini  posts; precision at the 11 recall levels for the codes, LSA of the same width
                 and tf-idf (retrieval.py)
    your texts   train and index only (no labels, no ratings)

The index holds every document of the corpus (training and test), its code and its first
characters, in one file with the model (``save_index``): a query is a text, tokenised,
counted over the vocabulary, encoded, and compared with the stored codes by cosine.

``run`` returns an AppResult (numbers, pictures) and the Index; nothing is written here.
"""
import time
from dataclasses import asdict, dataclass, field

import numpy as np

import minigrad as mg

from ..apps.result import AppResult, Table
from .bag_of_words import BagOfWords, unit_rows
from .correlation import pearson, spearman
from .doc_autoencoder import DocumentAutoencoder, document_input, train_document_autoencoder
from .document_figures import PrecisionRecall, RatingScatter
from .lsa import LSA
from .retrieval import RECALL_LEVELS, level_name, precision_at_recall, rank
from .vocabulary import Vocabulary

SNIPPET = 160           # characters of each document kept in the index
FORMAT = "autoencoders.text.documents"


@dataclass
class DocumentSettings:
    vocab: int = 2000
    code: int = 32
    hidden: tuple = (1024,)
    epochs: int = 100
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    dropout: float = 0.8
    input: str = "log1p"
    seed: int = 0


@dataclass
class Index:
    """A trained model with what it needs to read a text, and the stored documents' codes."""
    bag: BagOfWords
    model: DocumentAutoencoder
    codes: np.ndarray
    snippets: list
    corpus: str
    settings: dict = field(default_factory=dict)

    def encode_texts(self, texts):
        x = document_input(self.bag.counts(texts), self.model.config["input"])
        return self.model.encode(x)

    def query(self, texts, k=5):
        """For each text, [(document number, cosine, snippet)] of the k nearest stored documents."""
        order, scores = rank(self.encode_texts(texts), self.codes, k)
        return [[(int(i), float(s), self.snippets[i]) for i, s in zip(row, row_scores)]
                for row, row_scores in zip(order, scores)]


def save_index(index, path):
    vocabulary = index.bag.vocabulary
    mg.save({"format": FORMAT, "corpus": index.corpus, "settings": index.settings,
             "config": index.model.config, "state": index.model.state_dict(),
             "words": vocabulary.words, "counts": vocabulary.counts, "idf": index.bag.idf,
             "codes": index.codes, "snippets": index.snippets}, path)
    return path


def load_index(path):
    saved = mg.load(path)
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ValueError(f"{path} is not a document index written by 'documents' (no {FORMAT} record)")
    config = dict(saved["config"])
    model = DocumentAutoencoder(config["vocab"], config["code"], config["hidden"], config["dropout"])
    model.config["input"] = config.get("input", "log1p")
    model.load_state_dict(saved["state"])
    model.eval()
    bag = BagOfWords(Vocabulary(saved["words"], saved["counts"]), saved["idf"])
    return Index(bag, model, np.asarray(saved["codes"]), list(saved["snippets"]), saved["corpus"],
                 dict(saved["settings"]))


def snippet(text):
    return " ".join(text.split())[:SNIPPET]


def pair_correlations(features, human):
    """Pearson and Spearman between the cosines of every pair i < j of rows and human[i, j]."""
    upper = np.triu_indices(len(human), 1)
    cosines = (unit_rows(features) @ unit_rows(features).T)[upper]
    return {"pearson": pearson(cosines, human[upper]), "spearman": spearman(cosines, human[upper]),
            "cosines": cosines}


def run(corpus, settings=None, log=None):
    """(AppResult, Index) for a DocumentCorpus (corpora.py)."""
    settings = settings or DocumentSettings()
    log = log or (lambda message: None)
    clock = time.perf_counter()
    bag = BagOfWords.fit(corpus.train_texts, size=settings.vocab)
    train_counts = bag.counts(corpus.train_texts)
    log(f"documents: {len(corpus.train_texts)} training documents of {corpus.name}, vocabulary "
        f"{len(bag)} words; training a {len(bag)}-{'-'.join(map(str, settings.hidden))}-"
        f"{settings.code} autoencoder for {settings.epochs} epochs...")
    model, history = train_document_autoencoder(
        train_counts, code=settings.code, hidden=settings.hidden, epochs=settings.epochs,
        batch_size=settings.batch_size, lr=settings.lr, weight_decay=settings.weight_decay,
        dropout=settings.dropout, input_kind=settings.input, seed=settings.seed, log=log)
    train_seconds = time.perf_counter() - clock
    texts = list(corpus.train_texts) + list(corpus.test_texts or [])
    index = Index(bag, model, None, [snippet(t) for t in texts], corpus.name,
                  {**asdict(settings), "hidden": list(settings.hidden)})
    index.codes = index.encode_texts(texts)
    numbers = {"corpus": corpus.name, "vocabulary": len(bag), "code": settings.code,
               "train_documents": len(corpus.train_texts), "indexed_documents": len(texts),
               "settings": index.settings, "final_loss": history[-1], "loss": history}
    pictures = {}
    if corpus.test_texts is not None:
        test_counts = bag.counts(corpus.test_texts)
        train_tfidf, test_tfidf = bag.tfidf(train_counts), bag.tfidf(test_counts)
        width = min(settings.code, *train_tfidf.shape)
        spaces = {"autoencoder": index.codes[len(corpus.train_texts):],
                  f"LSA-{width}": LSA(width).fit(train_tfidf).transform(test_tfidf),
                  "tf-idf": test_tfidf}
        widths = {"autoencoder": settings.code, f"LSA-{width}": width, "tf-idf": len(bag)}
        if corpus.human_similarity is not None:
            found = {name: pair_correlations(z, corpus.human_similarity) for name, z in spaces.items()}
            numbers["pairs"] = len(found["autoencoder"]["cosines"])
            numbers["test_documents"] = len(corpus.test_texts)
            numbers["correlation"] = {name: {"width": widths[name], "pearson": f["pearson"],
                                             "spearman": f["spearman"]} for name, f in found.items()}
            upper = np.triu_indices(len(corpus.human_similarity), 1)
            pictures["lee_ratings"] = RatingScatter(
                corpus.human_similarity[upper], {n: f["cosines"] for n, f in found.items()},
                f"{corpus.name}: cosine against the people's rating, {numbers['pairs']} pairs")
        elif corpus.test_labels is not None:
            log(f"precision at {len(RECALL_LEVELS)} recall levels, {len(corpus.test_texts)} test "
                "documents as queries...")
            numbers["test_documents"] = len(corpus.test_texts)
            numbers["precision"] = {name: {"width": widths[name],
                                           "levels": precision_at_recall(z, corpus.test_labels)}
                                    for name, z in spaces.items()}
            pictures["precision_recall"] = PrecisionRecall(
                {n: p["levels"] for n, p in numbers["precision"].items()},
                f"{corpus.name}: precision at recall, test posts against test posts")
    numbers["seconds"] = {"train": train_seconds, "total": time.perf_counter() - clock}
    return AppResult(numbers, pictures), index


def table(numbers):
    """The numbers of ``run`` as a Table: the codes beside LSA and tf-idf."""
    head = (f"{numbers['corpus']}: {numbers['train_documents']} training documents, vocabulary "
            f"{numbers['vocabulary']}, code width {numbers['code']}, training "
            f"{numbers['seconds']['train']:.1f} s")
    if "correlation" in numbers:
        rows = [[name, c["width"], f"{c['pearson']:.3f}", f"{c['spearman']:.3f}"]
                for name, c in numbers["correlation"].items()]
        return Table(head, f"correlation of document cosine with the mean human rating over "
                     f"{numbers['pairs']} pairs of {numbers['test_documents']} documents, higher is "
                     "better", ["method", "width", "Pearson r", "Spearman rho"], rows)
    if "precision" in numbers:
        names = list(numbers["precision"])
        levels = list(numbers["precision"][names[0]]["levels"])
        rows = [[level_name(level)] + [f"{numbers['precision'][n]['levels'][level]:.3f}" for n in names]
                for level in levels]
        return Table(head, f"precision at recall: share of same-group posts among those retrieved, "
                     f"{numbers['test_documents']} test posts as queries, higher is better",
                     ["recall"] + [f"{n} ({numbers['precision'][n]['width']})" for n in names], rows)
    return Table(head, f"final training loss {numbers['final_loss']:.4f} nats per word; "
                 f"{numbers['indexed_documents']} documents indexed", ["", ""], [])


def answers_table(queries, answers):
    rows = [[f"{q + 1}.{rank_ + 1}", f"#{doc}", f"{score:.3f}", text[:100]]
            for q, found in enumerate(answers) for rank_, (doc, score, text) in enumerate(found)]
    return Table("documents: the nearest stored documents of each query, by cosine of the codes",
                 "query.rank, stored document number, cosine (higher is nearer), its first words",
                 ["query", "document", "cosine", "text"], rows,
                 notes=[f"query {i + 1}: {snippet(q)[:100]}" for i, q in enumerate(queries)])
