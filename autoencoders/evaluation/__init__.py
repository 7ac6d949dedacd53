"""Sample quality: one metric for every generative model, read off a digit classifier.

    digit_classifier.py  a small CNN on minigrad (conv 16-32, 128 hidden units): train, apply, save
    features.py          what it sees in a set of images: feature mean and covariance, predicted digits
    frechet.py           the Frechet distance between two Gaussians (the trace of a matrix square
                         root from two symmetric eigendecompositions)
    sample_quality.py    the numbers (Frechet distance, class entropy, correct digit) of each
                         model beside the floor (training images) and the ceiling (independent pixels)
    commands.py          the commands 'classifier' and 'sample-quality'

docs/sample-quality.md explains the numbers and shows the table.
"""
