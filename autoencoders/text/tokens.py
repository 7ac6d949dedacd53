"""Text to tokens: lower-case runs of letters, and the stop words documents leave out.

    tokenize("The king's 2 horses.")  ->  ['the', 'king', 's', 'horses']

A token is a maximal run of letters (any alphabet; digits, punctuation and the underscore
split words), lower-cased. Every corpus and every query goes through this one function, so
a word is spelled the same wherever it is looked up.

Stop words are the function words (articles, pronouns, auxiliaries, prepositions) that
occur in every document and say nothing about its topic. The bag-of-words models of
documents drop them before choosing their vocabulary, as Hinton & Salakhutdinov (2006) did;
the word embeddings keep them (word2vec's subsampling thins them instead).
"""
import re

WORD = re.compile(r"[^\W\d_]+")

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these they
this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves s t d ll m re ve said says say mr mrs ms
one two three new also would could may might must shall us get got
""".split())


def tokenize(text):
    """The tokens of ``text``: lower-cased runs of letters, in order."""
    return WORD.findall(text.lower())


def content_words(tokens):
    """``tokens`` without the stop words."""
    return [t for t in tokens if t not in STOP_WORDS]
