"""Semi-supervised learning with VAEs: Kingma, Rezende, Mohamed & Welling (2014).

    splits.py        balanced labelled sets drawn by a seed
    bounds.py        M2's objective: L(x, y), U(x), the entropy, the weights of J
    m2.py            the M2 model (classifier q(y|x), encoder q(z|x,y), decoder p(x|y,z))
    training.py      M2's loop: a labelled and an unlabelled batch every step
    m1.py            M1: a VAE's codes as features; a plain VAE training loop
    augmentation.py  generated images (CVAE, M2) as extra training data
    experiment.py    Table 1 and augmentation: every method, label count and draw
    report.py        mean ± std tables beside the paper's numbers
    commands.py      the ``semisupervised`` command (add_subparsers)

The math is in docs/models/m2.md, the measured numbers in docs/semisupervised-results.md.
"""
