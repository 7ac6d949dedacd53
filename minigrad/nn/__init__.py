"""Neural-network building blocks: modules, layers, losses, initializers.

    module.py     Module, Parameter (parameters found in attributes), state_dict
    container.py  Sequential, ModuleList, ModuleDict
    linear.py     Linear, Identity, Flatten, Unflatten
    conv.py       Conv2d, Conv1d, ConvTranspose2d, MaxPool2d, AvgPool2d, Upsample
    activation.py ReLU, LeakyReLU, ELU, SELU, Sigmoid, Tanh, Softplus
    dropout.py    Dropout, GaussianNoise (training only)
    batchnorm.py  BatchNorm1d, BatchNorm2d
    normalization.py  LayerNorm
    embedding.py  Embedding
    rnn.py        LSTM, GRU
    losses.py     mse_loss, binary_cross_entropy(_with_logits), KL terms, cross_entropy ...
    loss_modules.py  MSELoss, CrossEntropyLoss, ... (the losses as modules)
    init.py       xavier_*, kaiming_*, lecun_normal_, trunc_normal_, orthogonal_, zeros_ ...
    utils.py      clip_grad_norm_, clip_grad_value_
    functional.py F: the PyTorch-style functions
"""
from . import functional, init, utils
from .activation import ELU, SELU, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from .batchnorm import BatchNorm1d, BatchNorm2d
from .container import ModuleDict, ModuleList, Sequential
from .conv import AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, Upsample
from .dropout import Dropout, GaussianNoise
from .embedding import Embedding
from .linear import Flatten, Identity, Linear, Unflatten
from .loss_modules import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss,
                           MSELoss, NLLLoss)
from .module import Module, Parameter
from .normalization import LayerNorm
from .rnn import GRU, LSTM
from .utils import clip_grad_norm_, clip_grad_value_
