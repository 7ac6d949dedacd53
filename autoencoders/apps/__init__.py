"""What people use autoencoders for, one module per application.

Each module holds functions that take a trained model and numpy images and
return numbers or images; the command line (``commands.py``) and the report
(``report.py``) are thin layers over them.

    generate   new digits from a VAE's prior; one row per digit from a CVAE
    latent     the codes in 2-D, a VAE's decoded 2-D manifold, interpolations
    denoise    corrupted digits in, clean digits out; PSNR vs a PCA projection
    anomaly    train on one digit, flag the others; AUROC vs PCA's error
    search     nearest neighbours in code space; precision@k vs PCA and pixels
    features   a linear classifier on the codes with few labels vs PCA and pixels
    augment    100 labels + images from a conditional VAE vs the 100 alone
    classifier the softmax-regression probe used by features and augment
    common     batched encode / decode / reconstruct in numpy
    report     everything above end to end, written to docs/applications-results.md

The metrics (AUROC, PSNR, precision@k) are in autoencoders/metrics.py.
"""
