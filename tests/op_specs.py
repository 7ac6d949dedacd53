"""One declarative spec per registered op: how to call it, what to feed it, and
what it should compute.

``tests/test_ops_gradients.py`` runs every spec through a gradient check
(float64, finite differences; ``tests/test_ops_gradgrad.py`` checks second
derivatives the same way), a forward check against ``reference`` (float32
and float64), a dtype check and a no-mutation check. It also FAILS when an op
in ``minigrad.OPS`` has no spec here: adding a registered op means adding its
spec.

A spec is an ``OpSpec``:

* ``cases``: a hypothesis strategy of ``Case(arrays, kwargs)``. ``arrays`` are
  float64 NumPy arrays, one per tensor argument (the tests cast them to the
  dtype under test); ``kwargs`` are everything else (axis, index, condition...).
  Values stay away from the op's kinks (|x| and ReLU at 0, ties in max/min,
  the edges of clip) and inside its domain (log, sqrt, pow base > 0,
  denominators away from 0).
* ``call(*tensors, **kwargs)``: the minigrad call under test.
* ``reference(*arrays, **kwargs)``: the expected value, computed in float64
  with NumPy/SciPy and written independently of the op's own code.

Adding a spec for a new op (say conv2d):

    SPECS["conv2d"] = OpSpec(
        cases=conv2d_cases(),                     # a @st.composite returning Case
        call=lambda x, w, b, **kw: F.conv2d(x, w, b, **kw),
        reference=conv2d_naive_loops,             # an obviously-correct slow version
        max_elements=400)                         # per-element finite differences up to here

A helper strategy should keep each input small (tens of elements) so that the
per-element gradient check stays cheap; larger inputs switch gradcheck to its
directional mode.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.special as sp
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


@dataclass
class Case:
    arrays: list  # float64 arrays, one per tensor argument
    kwargs: dict = field(default_factory=dict)


@dataclass
class OpSpec:
    cases: st.SearchStrategy
    call: Callable
    reference: Callable
    differentiable: tuple = None  # positions of arrays that get requires_grad (None: all)
    root_op: str = None           # the op that makes the output (default: the spec's name)
    rtol32: float = 1e-5          # forward tolerance in float32 (float64 uses 1e-10)
    atol32: float = 1e-6
    max_elements: int = 400       # gradcheck: per-element up to this size, directional above
    # Second derivatives (tests/test_ops_gradgrad.py): True = checked with gradgradcheck, the
    # default, so a new op must be differentiable twice; a string = the reason it cannot be, and
    # the op must then raise an error naming itself under create_graph=True.
    second_order: object = True
    gradgrad_examples: int = 8    # hypothesis examples for the (slower) second-order check


# ----- shape strategies ---------------------------------------------------------
SHAPE = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
SHAPE_1D_UP = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
SMALL_SIDES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)

# Broadcasting pairs: a few named ones first, then anything mutually broadcastable
# (covers 0-d, size-1 axes and extra leading axes).
BROADCAST_PAIRS = st.one_of(
    st.sampled_from([((3, 1), (1, 4)), ((), (2, 3)), ((2, 3, 4), (4,)), ((2, 1, 3), (4, 1))]),
    hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4)
    .map(lambda r: r.input_shapes),
)


def values(shape, lo=-2.0, hi=2.0):
    """float64 arrays of ``shape`` with entries in [lo, hi]."""
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False))


def away_from_zero(shape, lo=0.1, hi=2.0):
    """Entries in [-hi, -lo] or [lo, hi] (for ops with a kink or pole at 0)."""
    mag = st.floats(lo, hi)
    return hnp.arrays(np.float64, shape, elements=st.one_of(mag, mag.map(lambda v: -v)))


def on_grid(shape, offset):
    """Entries 0.5 * i + offset, i in [-4, 4]. Two grids with different offsets
    never tie, and stay at least |offset1 - offset2| apart."""
    return hnp.arrays(np.float64, shape, elements=st.integers(-4, 4).map(lambda i: 0.5 * i + offset))


@st.composite
def distinct(draw, shape):
    """All entries different, at least 0.05 apart: no ties for max/min."""
    n = int(np.prod(shape, dtype=int))
    perm = np.array(draw(st.permutations(range(n))), dtype=np.float64)
    step = draw(st.floats(0.05, 0.5))
    shift = draw(st.floats(-1.0, 1.0))
    return ((perm - n / 2) * step + shift).reshape(shape)


@st.composite
def axis_args(draw, ndim):
    """(axis, keepdims) for a reduction: None, an int (maybe negative) or a tuple."""
    keepdims = draw(st.booleans())
    if ndim == 0:
        return draw(st.sampled_from([None, ()])), keepdims
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None, keepdims
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1)), keepdims
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(axes), keepdims


# ----- case builders --------------------------------------------------------------
def unary(elements=values, shapes=SHAPE, params=None):
    """One input of any shape; ``params`` is a strategy of kwargs (or None)."""

    @st.composite
    def build(draw):
        x = draw(elements(draw(shapes)))
        return Case([x], draw(params) if params is not None else {})

    return build()


def binary(elements_a=values, elements_b=values):
    """Two inputs of mutually broadcastable shapes."""

    @st.composite
    def build(draw):
        sa, sb = draw(BROADCAST_PAIRS)
        return Case([draw(elements_a(sa)), draw(elements_b(sb))])

    return build()


def reduction(elements=values, torch_spelling=True):
    """One input plus axis/keepdims; half the time spelled dim/keepdim (PyTorch)."""

    @st.composite
    def build(draw):
        shape = draw(SHAPE)
        x = draw(elements(shape))
        axis, keepdims = draw(axis_args(len(shape)))
        if torch_spelling and axis is not None and draw(st.booleans()):
            return Case([x], {"dim": axis, "keepdim": keepdims})
        return Case([x], {"axis": axis, "keepdims": keepdims})

    return build()


def np_axis(kwargs):
    """A reduction's kwargs in NumPy's spelling."""
    return kwargs.get("axis", kwargs.get("dim")), kwargs.get("keepdims", kwargs.get("keepdim", False))


def reduce_ref(fn):
    def ref(x, **kw):
        axis, keepdims = np_axis(kw)
        return fn(x, axis=axis, keepdims=keepdims)

    return ref


@st.composite
def softmax_cases(draw):
    shape = draw(SHAPE_1D_UP)
    return Case([draw(values(shape, -3, 3))], {"axis": draw(st.integers(-len(shape), len(shape) - 1))})


@st.composite
def var_cases(draw):
    shape = draw(SHAPE)
    axis, keepdims = draw(axis_args(len(shape)))
    axes = range(len(shape)) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    count = int(np.prod([shape[a] for a in axes], dtype=int))
    ddof = draw(st.sampled_from([0, 1])) if count > 1 else 0
    return Case([draw(values(shape))], {"axis": axis, "keepdims": keepdims, "ddof": ddof})


@st.composite
def extremum_cases(draw):
    shape = draw(SHAPE)
    axis, keepdims = draw(axis_args(len(shape)))
    return Case([draw(distinct(shape))], {"axis": axis, "keepdims": keepdims})


@st.composite
def matmul_cases(draw):
    """(M,K)@(K,N), 1-D on either side, and batched with broadcast batch axes."""
    m, k, n = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ba, bb = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3)).input_shapes
    kind_a, kind_b = draw(st.sampled_from(["vec", "mat"])), draw(st.sampled_from(["vec", "mat"]))
    sa = (k,) if kind_a == "vec" else ba + (m, k)
    sb = (k,) if kind_b == "vec" else bb + (k, n)
    return Case([draw(values(sa)), draw(values(sb))])


@st.composite
def reshape_cases(draw):
    shape = draw(SHAPE)
    n = int(np.prod(shape, dtype=int))
    target = draw(st.sampled_from([(-1,), (n,), (1, -1), (n, 1), tuple(reversed(shape)), shape + (1,)]))
    return Case([draw(values(shape))], {"shape": target})


@st.composite
def permute_cases(draw):
    shape = draw(SHAPE)
    return Case([draw(values(shape))], {"axes": tuple(draw(st.permutations(range(len(shape)))))})


@st.composite
def broadcast_to_cases(draw):
    shape = draw(SMALL_SIDES)
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    target = lead + tuple(draw(st.integers(1, 3)) if s == 1 else s for s in shape)
    return Case([draw(values(shape))], {"shape": target})


@st.composite
def expand_dims_cases(draw):
    shape = draw(SHAPE)
    return Case([draw(values(shape))], {"axis": draw(st.integers(-len(shape) - 1, len(shape)))})


@st.composite
def squeeze_cases(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=2))
    ones = [i for i, s in enumerate(shape) if s == 1]
    axis = draw(st.sampled_from([None] + ones))
    return Case([draw(values(shape))], {"axis": axis})


@st.composite
def flatten_cases(draw):
    shape = draw(SHAPE)
    if not shape:
        return Case([draw(values(shape))], {"start_dim": 0, "end_dim": -1})
    start = draw(st.integers(0, len(shape) - 1))
    end = draw(st.integers(start, len(shape) - 1))
    start -= draw(st.sampled_from([0, len(shape)]))  # sometimes negative
    end -= draw(st.sampled_from([0, len(shape)]))
    return Case([draw(values(shape))], {"start_dim": start, "end_dim": end})


def flatten_ref(x, start_dim, end_dim):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])


@st.composite
def getitem_cases(draw):
    """Basic indices (ints, slices with steps, None, ...), and advanced ones:
    integer arrays WITH repeats (gradients must accumulate) and boolean masks."""
    shape = draw(SHAPE_1D_UP)
    x = draw(values(shape))
    kind = draw(st.sampled_from(["basic", "repeat", "mask", "ellipsis"]))
    if kind == "basic":
        index = []
        for side in shape:
            if draw(st.booleans()):
                index.append(draw(st.integers(-side, side - 1)))
            else:
                start = draw(st.integers(0, side - 1))
                index.append(slice(start, None, draw(st.sampled_from([1, 2, -1]))))
        index = tuple(index)
    elif kind == "repeat":
        picks = draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6))
        index = np.array(picks + picks[:1])  # at least one repeat
    elif kind == "mask":
        index = np.array(draw(st.lists(st.booleans(), min_size=shape[-1], max_size=shape[-1])))
        index = (Ellipsis, index)
    else:
        index = (None, Ellipsis, draw(st.integers(-shape[-1], shape[-1] - 1)))
    return Case([x], {"index": index})


@st.composite
def scatter_add_cases(draw):
    """g for every index of getitem_cases (repeats included), scattered back into x's shape."""
    x_case = draw(getitem_cases())
    shape, index = x_case.arrays[0].shape, x_case.kwargs["index"]
    g = draw(values(np.empty(shape)[index].shape))
    return Case([g], {"index": index, "shape": shape})


def scatter_add_ref(g, index, shape):
    """Each element of g added to the flat position it was picked from (bincount, not np.add.at)."""
    size = int(np.prod(shape, dtype=int))
    source = np.arange(size).reshape(shape)[index]
    return np.bincount(source.reshape(-1), weights=g.reshape(-1), minlength=size).reshape(shape)


@st.composite
def relu_mask_mul_cases(draw):
    """g, and y (the mask's source, a kwarg: not differentiated) with values 0, positive or NaN."""
    shape = draw(SHAPE)
    y = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 0.5, 2.0, np.nan])))
    return Case([draw(values(shape))], {"y": y})


@st.composite
def concatenate_cases(draw):
    shape = draw(SHAPE_1D_UP)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    arrays = []
    for _ in range(draw(st.integers(1, 3))):
        s = list(shape)
        s[axis] = draw(st.integers(1, 3))
        arrays.append(draw(values(tuple(s))))
    return Case(arrays, {"axis": axis})


@st.composite
def stack_cases(draw):
    shape = draw(SHAPE)
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    return Case([draw(values(shape)) for _ in range(draw(st.integers(1, 3)))], {"axis": axis})


@st.composite
def pad_cases(draw):
    shape = draw(SHAPE_1D_UP)
    width = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in shape)
    return Case([draw(values(shape))], {"pad_width": width, "value": draw(st.sampled_from([0.0, -1.5]))})


@st.composite
def where_cases(draw):
    sc, sa, sb = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=4)).input_shapes
    cond = draw(hnp.arrays(np.bool_, sc))
    return Case([draw(values(sa)), draw(values(sb))], {"condition": cond})


@st.composite
def clip_cases(draw):
    """Entries kept 0.1 away from the clip edges -1 and 1."""
    shape = draw(SHAPE)
    x = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.floats(-3, -1.1), st.floats(-0.9, 0.9), st.floats(1.1, 3))))
    lo, hi = draw(st.sampled_from([(-1.0, 1.0), (None, 1.0), (-1.0, None)]))
    return Case([x], {"min": lo, "max": hi})


def clip_ref(x, min, max):  # noqa: A002
    lo = -np.inf if min is None else min
    hi = np.inf if max is None else max
    return np.where(x < lo, lo, np.where(x > hi, hi, x))


def matmul_ref(a, b):
    """a @ b as an explicit sum over k of a[..., i, k] * b[..., k, j] (NumPy's 1-D rules)."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    y = (a2[..., :, :, None] * b2[..., None, :, :]).sum(axis=-2)
    if a.ndim == 1:
        y = y[..., 0, :]
    if b.ndim == 1:
        y = y[..., 0]
    return y


# Independent constants for SELU (Klambauer et al. 2017, eq. 14).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946


SPECS = {
    # ----- elementwise arithmetic -----
    "add": OpSpec(binary(), lambda a, b: a + b, lambda a, b: a + b),
    "sub": OpSpec(binary(), lambda a, b: a - b, lambda a, b: a - b),
    "mul": OpSpec(binary(), lambda a, b: a * b, lambda a, b: a * b),
    "div": OpSpec(binary(values, lambda s: away_from_zero(s, 0.5, 2.0)), lambda a, b: a / b,
                  lambda a, b: a * (1.0 / b)),
    "neg": OpSpec(unary(), lambda x: -x, lambda x: 0.0 - x),
    "pow": OpSpec(binary(lambda s: values(s, 0.5, 2.0), lambda s: values(s, -2.0, 2.0)),
                  lambda a, b: a**b, lambda a, b: np.exp(b * np.log(a))),
    "exp": OpSpec(unary(), mg.exp, np.exp),
    "log": OpSpec(unary(lambda s: values(s, 0.1, 3.0)), mg.log, np.log),
    "sqrt": OpSpec(unary(lambda s: values(s, 0.1, 3.0)), mg.sqrt, lambda x: np.exp(0.5 * np.log(x))),
    "abs": OpSpec(unary(away_from_zero), abs, lambda x: np.where(x < 0, -x, x)),
    "clip": OpSpec(clip_cases(), lambda x, **kw: mg.clip(x, **kw), clip_ref),
    "maximum": OpSpec(binary(lambda s: on_grid(s, 0.1), lambda s: on_grid(s, 0.3)), mg.maximum,
                      lambda a, b: np.where(a > b, a, b)),
    "minimum": OpSpec(binary(lambda s: on_grid(s, 0.1), lambda s: on_grid(s, 0.3)), mg.minimum,
                      lambda a, b: np.where(a < b, a, b)),
    "where": OpSpec(where_cases(), lambda a, b, condition: mg.where(condition, a, b),
                    lambda a, b, condition: condition * a + (~condition) * b),
    # same-dtype astype here; float32 <-> float64 is tested on its own in test_ops_gradients
    "astype": OpSpec(unary(), lambda x: x.astype(x.dtype), lambda x: x),
    # ----- activations -----
    "relu": OpSpec(unary(away_from_zero), mg.relu, lambda x: x * (x > 0)),
    "relu_mask_mul": OpSpec(relu_mask_mul_cases(), lambda g, y: mg.ops.relu_mask_mul(y, g),
                            lambda g, y: g * ~(y <= 0)),
    "leaky_relu": OpSpec(unary(away_from_zero, params=st.fixed_dictionaries(
                             {"negative_slope": st.sampled_from([0.01, 0.2])})),
                         lambda x, **kw: mg.leaky_relu(x, **kw),
                         lambda x, negative_slope: np.where(x > 0, x, negative_slope * x)),
    "elu": OpSpec(unary(away_from_zero, params=st.fixed_dictionaries({"alpha": st.sampled_from([1.0, 0.5])})),
                  lambda x, **kw: mg.elu(x, **kw), lambda x, alpha: np.where(x > 0, x, alpha * (np.exp(x) - 1))),
    "selu": OpSpec(unary(away_from_zero), mg.selu,
                   lambda x: SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1))),
    "sigmoid": OpSpec(unary(lambda s: values(s, -6, 6)), mg.sigmoid, sp.expit),
    "tanh": OpSpec(unary(), mg.tanh, lambda x: np.sinh(x) / np.cosh(x)),
    "softplus": OpSpec(unary(lambda s: values(s, -6, 6), params=st.fixed_dictionaries(
                           {"beta": st.sampled_from([1.0, 2.0])})),
                       lambda x, **kw: mg.softplus(x, **kw), lambda x, beta: np.logaddexp(0.0, beta * x) / beta),
    "log_sigmoid": OpSpec(unary(lambda s: values(s, -6, 6)), mg.log_sigmoid, lambda x: np.log(sp.expit(x))),
    "softmax": OpSpec(softmax_cases(), lambda x, axis: mg.softmax(x, axis), lambda x, axis: sp.softmax(x, axis)),
    "log_softmax": OpSpec(softmax_cases(), lambda x, axis: mg.log_softmax(x, axis),
                          lambda x, axis: sp.log_softmax(x, axis)),
    # ----- reductions -----
    "sum": OpSpec(reduction(), lambda x, **kw: mg.sum(x, **kw), reduce_ref(np.sum)),
    "mean": OpSpec(reduction(), lambda x, **kw: mg.mean(x, **kw), reduce_ref(np.mean)),
    "var": OpSpec(var_cases(), lambda x, **kw: mg.var(x, **kw),
                  lambda x, axis, keepdims, ddof: np.var(x, axis=axis, keepdims=keepdims, ddof=ddof), atol32=1e-5),
    "max": OpSpec(extremum_cases(), lambda x, **kw: mg.max(x, **kw), reduce_ref(np.amax)),
    "min": OpSpec(extremum_cases(), lambda x, **kw: mg.min(x, **kw), reduce_ref(np.amin)),
    "logsumexp": OpSpec(reduction(lambda s: values(s, -3, 3)), lambda x, **kw: mg.logsumexp(x, **kw),
                        reduce_ref(lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)))),
    # ----- shape -----
    "reshape": OpSpec(reshape_cases(), lambda x, shape: x.reshape(shape), lambda x, shape: np.reshape(x, shape)),
    "permute": OpSpec(permute_cases(), lambda x, axes: x.permute(axes), lambda x, axes: np.transpose(x, axes)),
    "broadcast_to": OpSpec(broadcast_to_cases(), lambda x, shape: x.broadcast_to(shape),
                           lambda x, shape: x * np.ones(shape)),
    "expand_dims": OpSpec(expand_dims_cases(), lambda x, axis: x.unsqueeze(axis),
                          lambda x, axis: np.expand_dims(x, axis)),
    "squeeze": OpSpec(squeeze_cases(), lambda x, axis: x.squeeze(axis), lambda x, axis: np.squeeze(x, axis)),
    "flatten": OpSpec(flatten_cases(), lambda x, **kw: x.flatten(**kw), flatten_ref),
    "getitem": OpSpec(getitem_cases(), lambda x, index: x[index], lambda x, index: x[index]),
    "scatter_add": OpSpec(scatter_add_cases(), lambda g, **kw: mg.ops.scatter_add(g, **kw), scatter_add_ref),
    "concatenate": OpSpec(concatenate_cases(), lambda *xs, axis: mg.concatenate(xs, axis),
                          lambda *xs, axis: np.concatenate(xs, axis)),
    "stack": OpSpec(stack_cases(), lambda *xs, axis: mg.stack(xs, axis), lambda *xs, axis: np.stack(xs, axis)),
    "pad": OpSpec(pad_cases(), lambda x, **kw: mg.pad(x, **kw),
                  lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value)),
    # ----- losses (elementwise, unreduced) -----
    "binary_cross_entropy": OpSpec(binary(lambda s: values(s, 0.05, 0.95), lambda s: values(s, 0.0, 1.0)),
                                   mg.ops.binary_cross_entropy,
                                   lambda p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p)), rtol32=1e-4),
    "binary_cross_entropy_with_logits": OpSpec(
        binary(lambda s: values(s, -4.0, 4.0), lambda s: values(s, 0.0, 1.0)),
        mg.ops.binary_cross_entropy_with_logits,
        lambda x, t: t * np.logaddexp(0.0, -x) + (1 - t) * np.logaddexp(0.0, x), rtol32=1e-4, atol32=1e-5),
    # ----- linear algebra -----
    "matmul": OpSpec(matmul_cases(), lambda a, b: a @ b, matmul_ref),
}


# ----- convolution, pooling, upsampling (references in tests/conv_reference.py) ------
from conv_reference import (avg_pool2d_naive, conv2d_naive, conv_transpose2d_naive,  # noqa: E402
                            max_pool2d_naive, upsample_nearest_naive)

PAIR_OR_INT = lambda lo, hi: st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))  # noqa: E731


def as_pair(v):
    return (v, v) if isinstance(v, int) else v


@st.composite
def conv2d_cases(draw):
    """x (N, C, H, W), w (O, C/G, kh, kw), with H, W large enough for at least one output."""
    groups = draw(st.sampled_from([1, 1, 2]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kw_ = {"stride": draw(PAIR_OR_INT(1, 2)), "padding": draw(PAIR_OR_INT(0, 1)),
           "dilation": draw(PAIR_OR_INT(1, 2)), "groups": groups}
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d, p = as_pair(kw_["dilation"]), as_pair(kw_["padding"])
    hw = [max(1, d[i] * (k[i] - 1) + 1 - 2 * p[i]) + draw(st.integers(0, 2)) for i in range(2)]
    x = draw(values((draw(st.integers(1, 2)), cg * groups, *hw)))
    w = draw(values((og * groups, cg, *k)))
    return Case([x, w], kw_)


@st.composite
def conv_transpose2d_cases(draw):
    """x (N, C, H, W), w (C, O/G, kh, kw); output_padding < max(stride, dilation) (PyTorch's rule;
    output_padding >= stride, possible when dilation > stride, takes a zero-extended path)."""
    groups = draw(st.sampled_from([1, 1, 2]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = tuple(draw(st.integers(0, min(1, (d[i] * (k[i] - 1)) // 2))) for i in range(2))
    op = tuple(draw(st.integers(0, max(s[i], d[i]) - 1)) for i in range(2))
    x = draw(values((draw(st.integers(1, 2)), cg * groups, draw(st.integers(1, 3)), draw(st.integers(1, 3)))))
    w = draw(values((cg * groups, og, *k)))
    return Case([x, w], {"stride": s, "padding": p, "output_padding": op, "dilation": d, "groups": groups})


@st.composite
def pool_cases(draw, distinct_values):
    k = draw(PAIR_OR_INT(1, 3))
    kk = as_pair(k)
    stride = draw(st.one_of(st.none(), PAIR_OR_INT(1, 2)))
    padding = tuple(draw(st.integers(0, kk[i] // 2)) for i in range(2))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)),
             kk[0] + draw(st.integers(0, 2)), kk[1] + draw(st.integers(0, 2)))
    x = draw(distinct(shape)) if distinct_values else draw(values(shape))
    return Case([x], {"kernel_size": k, "stride": stride, "padding": padding})


@st.composite
def upsample_cases(draw):
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return Case([draw(values(shape))], {"scale_factor": draw(PAIR_OR_INT(1, 3))})


# ----- the VJPs of conv2d, the poolings and upsampling, ops of their own ---------------
@st.composite
def conv2d_weight_grad_cases(draw):
    """x and an upstream gy (N, O, Ho, Wo) of a conv2d case; kernel_hw from its weight."""
    case = draw(conv2d_cases())
    (x, w), kw_ = case.arrays, case.kwargs
    s, p, d = as_pair(kw_["stride"]), as_pair(kw_["padding"]), as_pair(kw_["dilation"])
    out_hw = [(x.shape[2 + i] + 2 * p[i] - d[i] * (w.shape[2 + i] - 1) - 1) // s[i] + 1 for i in range(2)]
    return Case([x, draw(values((x.shape[0], w.shape[0], *out_hw)))], {"kernel_hw": w.shape[2:], **kw_})


def conv2d_weight_grad_naive(x, gy, kernel_hw, stride=1, padding=0, dilation=1, groups=1):
    """dL/dw of L = <gy, conv2d_naive(x, w)>: y[n, o, i, j] = sum(window(n, i, j) * w[o]), so
    dw[o] = sum over n, i, j of gy[n, o, i, j] * window(n, i, j), with conv2d_naive's windows."""
    (sh, sw), (ph, pw), (dh, dw_) = as_pair(stride), as_pair(padding), as_pair(dilation)
    KH, KW = kernel_hw
    C, (O, Ho, Wo) = x.shape[1], gy.shape[1:]
    Cg, Og = C // groups, O // groups
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dw = np.zeros((O, Cg, KH, KW))
    for o in range(O):
        g = o // Og
        for i in range(Ho):
            for j in range(Wo):
                window = xp[:, g * Cg:(g + 1) * Cg, i * sh:i * sh + dh * (KH - 1) + 1:dh,
                            j * sw:j * sw + dw_ * (KW - 1) + 1:dw_]
                dw[o] += np.tensordot(gy[:, o, i, j], window, axes=(0, 0))
    return dw


@st.composite
def argmax_cases(draw, planes_input):
    """An input plane shape (N, C, H, W) and argmax (N, C, Ho, Wo): any flat indices into the H*W
    planes, repeats included (overlapping windows send several gradients to one element).
    ``planes_input``: the differentiated array is x (N, C, H, W), else g (N, C, Ho, Wo)."""
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    H, W = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    argmax = draw(hnp.arrays(np.int64, (N, C, draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                             elements=st.integers(0, H * W - 1)))
    if planes_input:
        return Case([draw(values((N, C, H, W)))], {"argmax": argmax})
    return Case([draw(values(argmax.shape))], {"argmax": argmax, "input_shape": (N, C, H, W)})


def max_pool2d_backward_naive(g, argmax, input_shape):
    dx = np.zeros(input_shape)
    for n, c, i, j in np.ndindex(*g.shape):
        h, v = divmod(int(argmax[n, c, i, j]), input_shape[3])
        dx[n, c, h, v] += g[n, c, i, j]
    return dx


def max_pool2d_gather_naive(x, argmax):
    y = np.empty(argmax.shape)
    for n, c, i, j in np.ndindex(*argmax.shape):
        h, v = divmod(int(argmax[n, c, i, j]), x.shape[3])
        y[n, c, i, j] = x[n, c, h, v]
    return y


@st.composite
def avg_pool2d_backward_cases(draw):
    """An upstream g of the output shape of an avg_pool2d case, and that case's input shape."""
    case = draw(pool_cases(False))
    shape, kw_ = case.arrays[0].shape, case.kwargs
    k, p = as_pair(kw_["kernel_size"]), kw_["padding"]
    s = k if kw_["stride"] is None else as_pair(kw_["stride"])
    out_hw = [(shape[2 + i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(2)]
    return Case([draw(values(shape[:2] + tuple(out_hw)))], {"input_shape": shape, **kw_})


def avg_pool2d_backward_naive(g, input_shape, kernel_size, stride=None, padding=0):
    """Each g[n, c, i, j] / (kh kw) added to every element of window (i, j); padding dropped."""
    (kh, kw), (ph, pw) = as_pair(kernel_size), as_pair(padding)
    sh, sw = as_pair(kernel_size if stride is None else stride)
    N, C, H, W = input_shape
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    for i in range(g.shape[2]):
        for j in range(g.shape[3]):
            dxp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += g[:, :, i, j, None, None] / (kh * kw)
    return dxp[:, :, ph:ph + H, pw:pw + W]


@st.composite
def upsample_nearest_backward_cases(draw):
    """An upstream g (N, C, sh H, sw W) of an upsample_nearest case."""
    case = draw(upsample_cases())
    (N, C, H, W), scale = case.arrays[0].shape, case.kwargs["scale_factor"]
    sh, sw = as_pair(scale)
    return Case([draw(values((N, C, sh * H, sw * W)))], {"scale_factor": scale})


def upsample_nearest_backward_naive(g, scale_factor):
    """dx[n, c, i, j] = the sum of g's sh x sw block at (sh i, sw j)."""
    sh, sw = as_pair(scale_factor)
    N, C, Hs, Ws = g.shape
    dx = np.zeros((N, C, Hs // sh, Ws // sw))
    for i in range(Hs // sh):
        for j in range(Ws // sw):
            dx[:, :, i, j] = g[:, :, i * sh:(i + 1) * sh, j * sw:(j + 1) * sw].sum(axis=(2, 3))
    return dx


SPECS["conv2d"] = OpSpec(conv2d_cases(), lambda x, w, **kw: mg.ops.conv2d(x, w, **kw), conv2d_naive,
                         rtol32=1e-4, atol32=1e-5)
SPECS["conv_transpose2d"] = OpSpec(conv_transpose2d_cases(),
                                   lambda x, w, **kw: mg.ops.conv_transpose2d(x, w, **kw),
                                   conv_transpose2d_naive, rtol32=1e-4, atol32=1e-5)
SPECS["max_pool2d"] = OpSpec(pool_cases(True), lambda x, **kw: mg.ops.max_pool2d(x, **kw), max_pool2d_naive)
SPECS["avg_pool2d"] = OpSpec(pool_cases(False), lambda x, **kw: mg.ops.avg_pool2d(x, **kw), avg_pool2d_naive)
SPECS["upsample_nearest"] = OpSpec(upsample_cases(), lambda x, **kw: mg.ops.upsample_nearest(x, **kw),
                                   upsample_nearest_naive)
SPECS["conv2d_weight_grad"] = OpSpec(conv2d_weight_grad_cases(),
                                     lambda x, gy, **kw: mg.ops.conv2d_weight_grad(x, gy, **kw),
                                     conv2d_weight_grad_naive, rtol32=1e-4, atol32=1e-5)
SPECS["max_pool2d_backward"] = OpSpec(argmax_cases(False), lambda g, **kw: mg.ops.max_pool2d_backward(g, **kw),
                                      max_pool2d_backward_naive, atol32=1e-5)
SPECS["max_pool2d_gather"] = OpSpec(argmax_cases(True), lambda x, **kw: mg.ops.max_pool2d_gather(x, **kw),
                                    max_pool2d_gather_naive)
SPECS["avg_pool2d_backward"] = OpSpec(avg_pool2d_backward_cases(),
                                      lambda g, **kw: mg.ops.avg_pool2d_backward(g, **kw),
                                      avg_pool2d_backward_naive, atol32=1e-5)
SPECS["upsample_nearest_backward"] = OpSpec(upsample_nearest_backward_cases(),
                                            lambda g, **kw: mg.ops.upsample_nearest_backward(g, **kw),
                                            upsample_nearest_backward_naive, atol32=1e-5)


# ----- recurrent ------------------------------------------------------------------
@st.composite
def lstm_cell_cases(draw):
    """gates (B, 4H) and c_prev (B, H), B and H from 1 to 3."""
    B, H = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return Case([draw(values((B, 4 * H), -3.0, 3.0)), draw(values((B, H)))])


def lstm_cell_ref(gates, c_prev):
    """[h, c] (2, B, H) from the textbook equations, with SciPy's expit for the sigmoid."""
    H = c_prev.shape[1]
    i, f = sp.expit(gates[:, :H]), sp.expit(gates[:, H:2 * H])
    g, o = np.tanh(gates[:, 2 * H:3 * H]), sp.expit(gates[:, 3 * H:])
    c = f * c_prev + i * g
    return np.stack([o * np.tanh(c), c])


SPECS["lstm_cell"] = OpSpec(lstm_cell_cases(), mg.ops.lstm_cell, lstm_cell_ref)
