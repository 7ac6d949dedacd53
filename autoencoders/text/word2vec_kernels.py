"""The word2vec training loop in Numba: subsampling, windows, negatives and the sparse SGD step,
fused into one pass over the corpus; beside it a slow NumPy/Python reference of the same
signature that makes the same random draws and the same floating-point operations.

The step (derived in docs/text.md). An example has an input vector h (skip-gram: the row
W_in[c] of one context word c; CBOW: the mean of the rows of the context words) and targets
t_0 (the centre word, label y_0 = 1) and t_1..t_k (negatives, y_j = 0). With x_j = u_j . h,
u_j = W_out[t_j] and sigma the logistic function, the loss is

    L = -log sigma(x_0) - sum_{j >= 1} log sigma(-x_j) = sum_j softplus(-s_j x_j),  s_j = 2 y_j - 1

    dL/dx_j = sigma(x_j) - y_j          dL/du_j = (sigma(x_j) - y_j) h
    dL/dh   = sum_j (sigma(x_j) - y_j) u_j

and the step, with g_j = lr (y_j - sigma(x_j)) = -lr dL/dx_j, computed target by target as
word2vec.c does:

    e   += g_j u_j          (e = -lr dL/dh, accumulated with u_j before it moves)
    u_j += g_j h            (= -lr dL/du_j)
    then every input row W_in[c] += e

For skip-gram that is exactly one SGD step on L (as long as the targets are distinct; a
negative equal to the centre word is skipped, as in word2vec). For CBOW the true gradient of
each context row is (1/m) dL/dh for m context words; word2vec.c and gensim (cbow_mean=1) add
the whole e to every context row, and so does this loop: the context rows move with a
learning rate m times larger.

Sparse: only the rows an example touches are read and written, so an example costs
O((k + 1) D) whatever the vocabulary size. Only rows of W_in and W_out change; nothing is
allocated per example.

Randomness is a 64-bit linear congruential generator, state <- a state + c (mod 2^64), with
Knuth's MMIX constants; a uniform number is the top 53 bits / 2^53 and a window shrink the
top 31 bits mod the window. A negative is one uniform number looked up in the alias table of
P_n (vocabulary.py), O(1) per draw. The same arithmetic in Python integers (the reference) gives the
same draws, so the serial kernel and the reference agree bit for bit.

Summation order. A dot product is summed in 8 lanes (lane l takes elements l, l + 8, ...),
then ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), then the tail in order, with no
fused multiply-add: the reference sums in that order too (``lane_dot``), and the compiler
turns the 8 independent lanes into one or two vector registers without being allowed to
reorder anything. The logistic function and the loss are computed in float64 from x (libm's
exp and log1p, the same functions Python's math module calls); g_j is rounded to the weights'
dtype before it multiplies a row.

Threads. ``train_epoch`` splits the corpus into chunks of whole sentences (each with its own
generator state). ``parallel=False`` runs the chunks in order on one thread: deterministic, and
equal to the reference. ``parallel=True`` runs them on Numba's threads at once, all writing
the shared W_in and W_out without locks: Hogwild (Recht et al., 2011), which is what word2vec.c
and gensim do with several threads. Two threads may update the same row at the same moment
and one of the updates can be lost, and a chunk starts before the chunks ahead of it have
moved the rows; the rows are many and the updates small, so training does not notice, but the
result is not reproducible from run to run. The learning rate of a word
depends only on its position in the corpus, not on which thread gets there first.
"""
import math

import numpy as np
from numba import njit, prange

LANES = 8
MULTIPLIER = np.uint64(6364136223846793005)
INCREMENT = np.uint64(1442695040888963407)
MASK64 = (1 << 64) - 1
UNIT = 1.0 / 9007199254740992.0        # 2^-53
_FLAGS = dict(cache=True, nogil=True)


# ----- randomness ---------------------------------------------------------------------------
@njit(**_FLAGS)
def _advance(state):
    return state * MULTIPLIER + INCREMENT


@njit(**_FLAGS)
def _uniform(state):
    return (state >> np.uint64(11)) * UNIT


@njit(**_FLAGS)
def _below(state, n):
    """An integer in [0, n) from the top 31 bits of the state."""
    return np.int64((state >> np.uint64(33)) % np.uint64(n))


@njit(**_FLAGS)
def _draw(share, alias, state):
    """A word from the alias table (vocabulary.alias_table): column i = floor(u V) and, with the
    rest of u as a second uniform f = u V - i, i itself if f < share[i], else alias[i]."""
    x = _uniform(state) * len(share)
    i = min(np.int64(x), len(share) - 1)
    return i if x - i < share[i] else alias[i]


@njit(**_FLAGS)
def _targets(share, alias, state, centre, negative, targets):
    """targets[0] = the centre word, then up to ``negative`` draws that are not it (a draw equal
    to it is skipped, as in word2vec.c); returns (state, number of targets)."""
    targets[0] = centre
    k = 1
    for _ in range(negative):
        state = _advance(state)
        t = _draw(share, alias, state)
        if t != centre:
            targets[k] = t
            k += 1
    return state, k


@njit(**_FLAGS)
def draw_negatives(share, alias, n, seed):
    """n words drawn from the alias table, starting the generator at ``seed`` (one draw per
    generator step, as in the training loop)."""
    out = np.empty(n, dtype=np.int64)
    state = np.uint64(seed)
    for i in range(n):
        state = _advance(state)
        out[i] = _draw(share, alias, state)
    return out


# ----- one example ----------------------------------------------------------------------------
@njit(**_FLAGS)
def _dot(a, b):
    n = a.shape[0]
    zero = a.dtype.type(0)
    s0, s1, s2, s3, s4, s5, s6, s7 = zero, zero, zero, zero, zero, zero, zero, zero
    n8 = n - n % LANES
    for i in range(0, n8, LANES):
        s0 += a[i] * b[i]
        s1 += a[i + 1] * b[i + 1]
        s2 += a[i + 2] * b[i + 2]
        s3 += a[i + 3] * b[i + 3]
        s4 += a[i + 4] * b[i + 4]
        s5 += a[i + 5] * b[i + 5]
        s6 += a[i + 6] * b[i + 6]
        s7 += a[i + 7] * b[i + 7]
    total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    for i in range(n8, n):
        total += a[i] * b[i]
    return total


@njit(**_FLAGS)
def _sigmoid_and_loss(x, label):
    """(sigma(x), softplus(-x) if label else softplus(x)) from one exp: with q = exp(-|x|),
    sigma(x) = 1 / (1 + q) for x >= 0 and q / (1 + q) below, softplus(+-x) = max(+-x, 0) + log1p(q)."""
    q = math.exp(-abs(x))
    sigma = 1.0 / (1.0 + q) if x >= 0 else q / (1.0 + q)
    return sigma, max(-x if label else x, 0.0) + math.log1p(q)


@njit(**_FLAGS)
def _example(w_in, w_out, inputs, n_inputs, targets, n_targets, lr, buffer, e):
    """One SGD step on one example (see the module docstring); returns its loss before the step.
    buffer and e are scratch rows of length D; h is the input row itself for one input."""
    dim = w_in.shape[1]
    if n_inputs == 1:
        h = w_in[inputs[0]]            # read only until the last line, which moves it
    else:
        h = buffer
        first = w_in[inputs[0]]
        for d in range(dim):
            h[d] = first[d]
        for m in range(1, n_inputs):
            row = w_in[inputs[m]]
            for d in range(dim):
                h[d] += row[d]
        count = w_in.dtype.type(n_inputs)
        for d in range(dim):
            h[d] = h[d] / count
    for d in range(dim):
        e[d] = 0
    loss = 0.0
    for j in range(n_targets):
        u = w_out[targets[j]]
        x = np.float64(_dot(h, u))     # (float() of a float32 stays float32 in Numba)
        sigma, target_loss = _sigmoid_and_loss(x, j == 0)
        loss += target_loss
        g = w_in.dtype.type(((1.0 if j == 0 else 0.0) - sigma) * lr)
        for d in range(dim):
            e[d] += g * u[d]
            u[d] += g * h[d]
    for m in range(n_inputs):
        row = w_in[inputs[m]]
        for d in range(dim):
            row[d] += e[d]
    return loss


@njit(**_FLAGS)
def negative_sampling_update(w_in, w_out, inputs, targets, lr):
    """One example, updated in place: inputs (m,) the rows of W_in whose mean is h (one row for
    skip-gram), targets (k + 1,) the centre word then the negatives. Returns the loss L before
    the step."""
    dim = w_in.shape[1]
    h = np.empty(dim, w_in.dtype)
    e = np.empty(dim, w_in.dtype)
    return _example(w_in, w_out, inputs, len(inputs), targets, len(targets), lr, h, e)


# ----- a pass over the corpus --------------------------------------------------------------
@njit(**_FLAGS)
def _train_chunk(w_in, w_out, ids, offsets, first, last, keep, share, alias, window, negative,
                 cbow, lr_start, lr_end, words_before, words_total, state):
    longest = 0
    for s in range(first, last):
        longest = max(longest, offsets[s + 1] - offsets[s])
    dim = w_in.shape[1]
    h = np.empty(dim, w_in.dtype)
    e = np.empty(dim, w_in.dtype)
    kept = np.empty(longest, np.int64)
    where = np.empty(longest, np.int64)
    context = np.empty(max(2 * window, 1), np.int64)
    targets = np.empty(negative + 1, np.int64)
    loss, examples = 0.0, 0
    for s in range(first, last):
        n = 0
        for p in range(offsets[s], offsets[s + 1]):       # subsampling
            w = ids[p]
            if keep[w] < 1.0:
                state = _advance(state)
                if _uniform(state) >= keep[w]:
                    continue
            kept[n] = w
            where[n] = p
            n += 1
        for i in range(n):
            done = (words_before + where[i]) / words_total
            lr = max(lr_end, lr_start - (lr_start - lr_end) * done)
            state = _advance(state)
            shrink = _below(state, window)
            lo, hi = max(0, i - window + shrink), min(n, i + window - shrink + 1)
            centre = kept[i]
            if cbow:
                m = 0
                for j in range(lo, hi):
                    if j != i:
                        context[m] = kept[j]
                        m += 1
                if m == 0:
                    continue
                state, k = _targets(share, alias, state, centre, negative, targets)
                loss += _example(w_in, w_out, context, m, targets, k, lr, h, e)
                examples += 1
            else:
                for j in range(lo, hi):
                    if j == i:
                        continue
                    context[0] = kept[j]
                    state, k = _targets(share, alias, state, centre, negative, targets)
                    loss += _example(w_in, w_out, context, 1, targets, k, lr, h, e)
                    examples += 1
    return loss, examples


@njit(cache=True, nogil=True, parallel=True)
def _train_epoch(w_in, w_out, ids, offsets, chunks, seeds, keep, share, alias, window, negative,
                 cbow, lr_start, lr_end, words_before, words_total, parallel):
    n_chunks = len(chunks) - 1
    losses = np.zeros(n_chunks)
    examples = np.zeros(n_chunks, np.int64)
    if parallel:
        for c in prange(n_chunks):
            losses[c], examples[c] = _train_chunk(
                w_in, w_out, ids, offsets, chunks[c], chunks[c + 1], keep, share, alias, window,
                negative, cbow, lr_start, lr_end, words_before, words_total, seeds[c])
    else:
        for c in range(n_chunks):
            losses[c], examples[c] = _train_chunk(
                w_in, w_out, ids, offsets, chunks[c], chunks[c + 1], keep, share, alias, window,
                negative, cbow, lr_start, lr_end, words_before, words_total, seeds[c])
    return losses.sum(), examples.sum()


def train_epoch(w_in, w_out, ids, offsets, chunks, seeds, keep, share, alias, window, negative,
                cbow, lr_start, lr_end, words_before, words_total, parallel=False):
    """One pass over the corpus, updating W_in and W_out (V, D) in place.

    ids, offsets    the corpus (Vocabulary.encode): sentence s is ids[offsets[s]:offsets[s+1]]
    chunks, seeds   sentence s of chunk c: chunks[c] <= s < chunks[c + 1]; its generator seed
    keep            subsampling keep probability per word (V,)
    share, alias    the negative sampler's alias table (V,) each (vocabulary.alias_table)
    window          the largest window; each centre word draws a shrink in [0, window)
    negative, cbow  negatives per example; CBOW (True) or skip-gram (False)
    lr_start..end   the learning rate falls linearly from lr_start at word 0 to lr_end at word
                    words_total; this pass starts at word words_before
    parallel        chunks on all of Numba's threads at once (Hogwild) or in order on one

    Returns (sum of the examples' losses before their steps, number of examples)."""
    _check(w_in, w_out, ids, offsets, chunks, seeds, keep, share, alias, window, negative)
    loss, examples = _train_epoch(w_in, w_out, ids, offsets, chunks, seeds, keep, share, alias,
                                  int(window), int(negative), bool(cbow), float(lr_start),
                                  float(lr_end), int(words_before), int(words_total), bool(parallel))
    return float(loss), int(examples)


def _check(w_in, w_out, ids, offsets, chunks, seeds, keep, share, alias, window, negative):
    if w_in.dtype != w_out.dtype or w_in.dtype not in (np.float32, np.float64):
        raise ValueError(f"W_in and W_out must both be float32 or float64, got {w_in.dtype}, {w_out.dtype}")
    if w_in.shape != w_out.shape or not (w_in.flags.c_contiguous and w_out.flags.c_contiguous):
        raise ValueError(f"W_in {w_in.shape} and W_out {w_out.shape} must be C-contiguous and alike")
    if ids.dtype != np.int32 or offsets.dtype != np.int64 or chunks.dtype != np.int64 \
            or seeds.dtype != np.uint64:
        raise ValueError("ids int32, offsets int64, chunks int64 and seeds uint64 expected")
    if not len(keep) == len(share) == len(alias) == len(w_in) or alias.dtype != np.int64:
        raise ValueError("keep, share and alias (int64) need one entry per word")
    if window < 1 or negative < 0 or len(seeds) != len(chunks) - 1:
        raise ValueError("window >= 1, negative >= 0 and one seed per chunk expected")


# ----- the reference: the same draws and operations, written plainly ---------------------------
def _advance_reference(state):
    return (state * int(MULTIPLIER) + int(INCREMENT)) & MASK64


def lane_dot(a, b):
    """a . b summed in the kernel's order: 8 lanes, combined pairwise, then the tail."""
    products = a * b
    n8 = len(products) - len(products) % LANES
    lanes = np.cumsum(products[:n8].reshape(-1, LANES), axis=0)[-1] if n8 else np.zeros(LANES, a.dtype)
    total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
    for p in products[n8:]:
        total += p
    return total


def sigmoid_and_loss_reference(x, label):
    q = math.exp(-abs(x))
    return (1.0 / (1.0 + q) if x >= 0 else q / (1.0 + q)), max(-x if label else x, 0.0) + math.log1p(q)


def negative_sampling_update_reference(w_in, w_out, inputs, targets, lr):
    """The step of ``negative_sampling_update``, one NumPy row operation per line."""
    h = w_in[inputs[0]].copy()
    for c in inputs[1:]:
        h += w_in[c]
    if len(inputs) > 1:
        h = h / w_in.dtype.type(len(inputs))
    e = np.zeros_like(h)
    loss = 0.0
    for j, t in enumerate(targets):
        x = float(lane_dot(h, w_out[t]))
        sigma, target_loss = sigmoid_and_loss_reference(x, j == 0)
        loss += target_loss
        g = w_in.dtype.type(((1.0 if j == 0 else 0.0) - sigma) * lr)
        e += g * w_out[t]
        w_out[t] += g * h
    for c in inputs:
        w_in[c] += e
    return loss


def draw_reference(share, alias, state):
    x = (state >> 11) * UNIT * len(share)
    i = min(int(x), len(share) - 1)
    return i if x - i < share[i] else int(alias[i])


def draw_negatives_reference(share, alias, n, seed):
    state, out = int(seed), np.empty(n, dtype=np.int64)
    for i in range(n):
        state = _advance_reference(state)
        out[i] = draw_reference(share, alias, state)
    return out


def train_epoch_reference(w_in, w_out, ids, offsets, chunks, seeds, keep, share, alias, window, negative,
                          cbow, lr_start, lr_end, words_before, words_total, parallel=False):
    """``train_epoch`` written plainly (always in order, one thread)."""
    _check(w_in, w_out, ids, offsets, chunks, seeds, keep, share, alias, window, negative)
    loss, examples = 0.0, 0

    def negatives(state, centre):
        drawn = []
        for _ in range(negative):
            state = _advance_reference(state)
            t = draw_reference(share, alias, state)
            if t != centre:
                drawn.append(t)
        return state, drawn

    for c in range(len(chunks) - 1):
        state = int(seeds[c])
        for s in range(chunks[c], chunks[c + 1]):
            kept = []
            for p in range(offsets[s], offsets[s + 1]):
                if keep[ids[p]] < 1.0:
                    state = _advance_reference(state)
                    if (state >> 11) * UNIT >= keep[ids[p]]:
                        continue
                kept.append((int(ids[p]), p))
            for i, (centre, p) in enumerate(kept):
                lr = max(lr_end, lr_start - (lr_start - lr_end) * ((words_before + p) / words_total))
                state = _advance_reference(state)
                shrink = (state >> 33) % window
                around = [kept[j][0] for j in range(max(0, i - window + shrink),
                                                    min(len(kept), i + window - shrink + 1)) if j != i]
                if cbow:
                    if not around:
                        continue
                    state, drawn = negatives(state, centre)
                    loss += negative_sampling_update_reference(w_in, w_out, around, [centre] + drawn, lr)
                    examples += 1
                else:
                    for word in around:
                        state, drawn = negatives(state, centre)
                        loss += negative_sampling_update_reference(w_in, w_out, [word], [centre] + drawn, lr)
                        examples += 1
    return loss, examples
