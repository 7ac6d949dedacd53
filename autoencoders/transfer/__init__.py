"""Transfer learning with few labels: what a head start is worth.

    freezing.py     freezing a submodule (requires_grad_) and parameter groups with their own lr
    experiment.py   (i) a CNN trained on digits 0-4 reused for 5-9; (ii) the conv autoencoder's
                    encoder as the start of a classifier; scratch / frozen / fine-tuned, over seeds
    commands.py     the command 'transfer'

docs/transfer.md explains the experiments and shows the tables.
"""
