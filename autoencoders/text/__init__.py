"""Words and documents: word embeddings (word2vec) and a document autoencoder for retrieval.

Words
    tokens           text -> lower-case letter runs; stop words
    wiki             plain text from a MediaWiki XML dump
    gensim_data      where gensim's installed test data is (the offline corpora and test sets)
    corpora          the word corpora (wiki, wiki-stemmed, lee, text8, your files) and the
                     document corpora (lee, 20news, your files)
    vocabulary       counts, subsampling keep probabilities, the negative sampler's alias table
    word2vec_kernels the fused Numba training loop and its NumPy/Python reference
    word2vec         skip-gram and CBOW with negative sampling: settings and the training run
    word_vectors     vectors looked up by word; cosine neighbours; .npz files
    word_tasks       WordSim353, SimLex-999, analogies
    correlation      Pearson and Spearman
    gensim_baseline  gensim's Word2Vec with the same settings, timed the same way
    word_figures     chosen words in 2-D
    words            the word application: train, score, compare with gensim

Documents
    bag_of_words     counts over the most frequent words; tf-idf
    lsa              truncated SVD of tf-idf
    doc_autoencoder  the autoencoder (minigrad layers, softmax reconstruction) and its training
    retrieval        ranking by cosine; precision at recall levels
    document_figures ratings scatter, precision-recall curves
    documents        the document application: train, score beside LSA and tf-idf, index, query

    commands         the command-line commands ``words`` and ``documents`` (add_subparsers)
    results          the measurement runs behind docs/text-results.md, and that page

Derivations: docs/text.md. Measured results: docs/text-results.md.
"""
