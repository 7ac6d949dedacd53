"""What people use autoencoders for, one module per application.

Each application module holds functions that take a trained model and numpy
images and return numbers or images, and one ``run`` that does the whole
application and returns an AppResult (its numbers and pictures, nothing written).
The command line (``commands.py``) and the report (``report.py``) call the same
``run``: the commands print the numbers (each module's ``table``: units, and the
baseline beside each number) and save the pictures, the report turns the results
of several models into tables. Arrows point down:
commands -> report -> the application modules -> train.

    generate   new digits from a VAE's prior; one row per digit from a CVAE
    latent     the codes in 2-D, a VAE's decoded 2-D manifold, interpolations
    denoise    corrupted digits in, clean digits out; PSNR vs a PCA projection
    anomaly    train on one digit, flag the others; AUROC vs PCA's error
    search     nearest neighbours in code space; precision@k vs PCA and pixels
    features   a linear classifier on the codes with few labels vs PCA and pixels
    augment    100 labels + images from a conditional VAE vs the 100 alone
    classifier the softmax-regression probe used by features and augment
    common     batched encode / decode / reconstruct in numpy
    result     AppResult, the pictures it holds (Grid, Scatter, Bars), Table
    commands   the applications' command-line commands
    report     everything above end to end, into runs/report-<preset>/ (--out docs: the published page)

The metrics (AUROC, PSNR, precision@k) are in autoencoders/metrics.py.
"""
