"""Neural-network building blocks: modules, layers, losses, initializers."""
from . import functional
