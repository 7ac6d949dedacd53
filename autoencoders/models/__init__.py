"""The model registry: every autoencoder by name.

    from autoencoders.models import build_model, MODELS
    model = build_model("dense", code=16)       # hidden keeps its default

``MODELS`` maps a name to its class. A new model is added with the
``register`` decorator in its own module, imported at the bottom of this file:

    @register("vae")
    class VAE(Autoencoder): ...

``build_model`` is the one way the trainer, the checkpoints and the command
line make a model, so they all get the same checks and messages.
"""
from .base import Autoencoder, ConfigError, Option, evaluating

MODELS = {}


def register(name):
    """Class decorator: enter an Autoencoder subclass in MODELS under ``name``."""

    def decorate(cls):
        if name in MODELS:
            raise ValueError(f"model {name!r} is registered twice")
        if not (isinstance(cls, type) and issubclass(cls, Autoencoder)):
            raise TypeError(f"{cls!r} is not an Autoencoder subclass")
        cls.name = name
        MODELS[name] = cls
        return cls

    return decorate


def get_model_class(name):
    """The class registered as ``name``, or ConfigError listing the known names."""
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; known models: {', '.join(MODELS)}")
    return MODELS[name]


def build_model(name, **config):
    """A new model ``name`` with hyperparameters ``config`` (defaults for the rest).

    Values may be strings (from the command line); they are converted to each
    option's type. Raises ConfigError for an unknown name or a bad value.
    """
    return get_model_class(name)(**config)


def saved_config(name, config):
    """A model config read from a checkpoint, with the values that options added since it was
    written had before they existed (the class's ``older_checkpoint_defaults``), so an older
    checkpoint rebuilds the model it was made with. Unknown names are left to build_model."""
    cls = MODELS.get(name)
    if cls is None or not isinstance(config, dict):
        return config
    return {**{key: value for key, value in cls.older_checkpoint_defaults.items() if key not in config},
            **config}


def describe_models():
    """name -> dict(summary, input_kind, can_sample, needs_labels, options), for listings;
    each option: dict(default, help, choices, min, max) (None where it has no such limit)."""
    described = {}
    for name, cls in MODELS.items():
        summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        described[name] = {
            "summary": summary,
            "input_kind": cls.input_kind,
            "can_sample": cls.can_sample,
            "needs_labels": cls.needs_labels,
            "options": {key: {"default": opt.default, "help": opt.help,
                              "choices": list(opt.choices) if opt.choices is not None else None,
                              "min": opt.min, "max": opt.max}
                        for key, opt in cls.options.items()},
        }
    return described


__all__ = ["MODELS", "Autoencoder", "ConfigError", "Option", "build_model", "describe_models",
           "evaluating", "get_model_class", "register"]


# ----- the models: each module registers its classes; the import order is the
# order `autoencoders models` lists them in. Add new model modules here. --------
from . import dense  # noqa: E402,F401

from . import linear  # noqa: E402,F401
from . import conv  # noqa: E402,F401
from . import recurrent  # noqa: E402,F401
from . import vae  # noqa: E402,F401
from . import cvae  # noqa: E402,F401
from . import deep  # noqa: E402,F401
from . import denoising  # noqa: E402,F401
from . import sparse  # noqa: E402,F401
from . import contractive  # noqa: E402,F401
from . import gan  # noqa: E402,F401
