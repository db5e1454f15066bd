"""Torch nets: hooked embeddings, skorch wrappers, the torch backend."""

import inspect
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from skactiveml.classifier import SklearnClassifier, SkorchClassifier  # noqa: E402
from skactiveml.pool import RandomSampling  # noqa: E402
from skactiveml.utils import MISSING_LABEL, call_func  # noqa: E402
from skorch import NeuralNetClassifier  # noqa: E402
from torch import nn  # noqa: E402

from skactiveml_badge import Badge, TypiClustThenBadge  # noqa: E402
from skactiveml_badge.embeddings import (  # noqa: E402
    UntrainedModelWarning,
    logit_gradients,
    proba_and_embedding,
)
from skactiveml_badge.embeddings import _private_api as api  # noqa: E402
from skactiveml_badge.embeddings._nets import hooked_forward  # noqa: E402
from skactiveml_badge.selection import (  # noqa: E402
    farthest_first,
    kmeans_plusplus,
)

from ._reference import random_factors  # noqa: E402
from .conftest import digits, make_skorch_problem, torch_mlp  # noqa: E402

MLP = torch_mlp()


class ConvNet(nn.Module):
    """For image-shaped inputs (N, 1, 8, 8)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten()
        )
        self.fc = nn.Linear(4 * 8 * 8, 16)
        self.out = nn.Linear(16, 10)

    def forward(self, x):
        return self.out(torch.relu(self.fc(self.conv(x))))


def test_closed_form_embedding_equals_autograd_gradient():
    X, _, clf = make_skorch_problem()
    for include_bias in (False, True):
        proba, h = proba_and_embedding(clf, X[:20], include_bias=include_bias)
        delta = logit_gradients(proba)
        module = clf.neural_net_.module_.eval()
        for i in range(20):
            module.zero_grad()
            logits = module(torch.as_tensor(X[i : i + 1]))
            pseudo = logits.argmax(dim=1)
            nn.functional.cross_entropy(logits, pseudo).backward()
            grad = module.head.weight.grad.numpy()
            if include_bias:
                bias = module.head.bias.grad.numpy()[:, None]
                grad = np.hstack([grad, bias])
            np.testing.assert_allclose(
                np.outer(delta[i], h[i]), grad, rtol=1e-5, atol=1e-6
            )


def test_hooked_embedding_equals_explicit_embedding_output():
    X, y, clf = make_skorch_problem(return_embedding=True)
    clf.forward_outputs = {
        "proba": (0, nn.Softmax(dim=-1)),
        "emb": (1, None),
    }
    flag = {"extra_outputs": "emb"}
    p_flag, h_flag = proba_and_embedding(clf, X, flag)
    p_hook, h_hook = proba_and_embedding(clf, X)
    np.testing.assert_allclose(p_hook, p_flag, rtol=1e-6)
    np.testing.assert_allclose(h_hook, h_flag, rtol=1e-6)
    a = Badge(flag, random_state=0).query(X, y, clf, False, batch_size=6)
    b = Badge(random_state=0).query(X, y, clf, False, batch_size=6)
    np.testing.assert_array_equal(a, b)


def test_private_api_of_skorch():
    """Each private or undocumented name of skorch, scikit-activeml's
    SkorchClassifier and torch that the adapters read (all of them in
    embeddings/_private_api.py), on real fitted nets: a release that
    changes one fails here."""
    _, _, clf = make_skorch_problem(n=80, n_labeled=40)
    # SkorchClassifier: neural_net_ and _effective_forward_outputs().
    net = clf.__dict__.get("neural_net_")
    assert isinstance(net, skorch.NeuralNet), "SkorchClassifier.neural_net_"
    assert not inspect.signature(clf._effective_forward_outputs).parameters
    outputs = clf._effective_forward_outputs()
    idx, transform = next(iter(outputs.values()))
    assert idx == 0 and isinstance(transform, nn.Softmax)
    # skorch NeuralNet: module_, forward_iter, history_,
    # _get_predict_nonlinearity().
    assert isinstance(net.module_, MLP)
    params = list(inspect.signature(net.forward_iter).parameters)
    assert params[:3] == ["X", "training", "device"]
    assert len(net.history_) == 15
    assert all(np.isfinite(row["train_loss"]) for row in net.history_)
    bare = _net().fit(*digits(60))
    assert not inspect.signature(bare._get_predict_nonlinearity).parameters
    p = bare._get_predict_nonlinearity()(torch.zeros(2, 10))
    np.testing.assert_allclose(p.numpy(), 0.1)
    assert not hasattr(_net(), "module_")  # unfitted: not a net yet
    # torch: _DropoutNd is the base of the dropout layers.
    from torch.nn.modules.dropout import _DropoutNd

    for layer in (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout):
        assert issubclass(layer, _DropoutNd)
    # The module reads them as above.
    assert api.skorch_wrapper_net(clf) is net
    got_idx, got_transform = api.wrapper_proba_output(clf)
    assert got_idx == idx and isinstance(got_transform, nn.Softmax)
    assert api.is_skorch_net(net) and api.is_skorch_net(bare)
    assert not api.is_skorch_net(_net()) and not api.is_skorch_net(clf)
    assert api.net_module(net) is net.module_
    assert api.train_losses(net) == [r["train_loss"] for r in net.history_]
    assert api.train_losses(clf) is None
    assert api.dropout_layers(net.module_) == [net.module_.body[3]]
    assert api.predict_nonlinearity(bare)(torch.zeros(1, 4)).sum() == 1


def _snapshot(module):
    return (
        {k: v.clone() for k, v in module.state_dict().items()},
        [m.training for m in module.modules()],
    )


@pytest.mark.parametrize("mode", ["train", "eval", "mixed"])
def test_query_changes_neither_weights_nor_modes(mode):
    X, y, clf = make_skorch_problem()
    module = clf.neural_net_.module_
    module.train(mode != "eval")
    if mode == "mixed":
        module.head.eval()
    weights, modes = _snapshot(module)
    Badge(random_state=0).query(X, y, clf, fit_clf=False, batch_size=5)
    Badge(random_state=0).select_batch(clf, X[60:], batch_size=5)
    after_weights, after_modes = _snapshot(module)
    assert after_modes == modes
    for k, v in weights.items():
        assert torch.equal(v, after_weights[k])


def test_failing_pass_restores_modes_and_removes_hook():
    X, _, clf = make_skorch_problem()
    module = clf.neural_net_.module_.train()
    calls = []

    def proba_fn(out):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return torch.softmax(out, dim=-1)

    with pytest.raises(RuntimeError, match="boom"):
        hooked_forward(module, X, proba_fn, 10, dl_batch_size=100)
    assert all(m.training for m in module.modules())
    assert not module.head._forward_hooks


def test_image_inputs_and_layer_choice():
    X, y_true = digits()
    X = X.reshape(-1, 1, 8, 8)
    y = np.full(len(X), MISSING_LABEL)
    y[:50] = y_true[:50]
    torch.manual_seed(0)
    clf = SkorchClassifier(
        ConvNet,
        neural_net_param_dict=dict(max_epochs=3, train_split=None),
        classes=np.arange(10),
    ).fit(X, y)
    _, h = proba_and_embedding(clf, X)
    assert h.shape == (len(X), 16)  # the input of `out`, not of `fc`
    _, h_fc = proba_and_embedding(clf, X, embedding_layer="fc")
    assert h_fc.shape == (len(X), 256)
    idx = Badge(random_state=0).query(X, y, clf, False, batch_size=4)
    assert idx.shape == (4,) and (idx >= 50).all()
    with pytest.raises(ValueError, match=r"Linear layers are \['fc', 'out'"):
        proba_and_embedding(clf, X, embedding_layer="nope")
    with pytest.raises(ValueError, match="not a torch.nn.Linear"):
        proba_and_embedding(clf, X, embedding_layer="conv")


def test_model_without_class_sized_linear_layer_says_how_to_name_one():
    X, y, clf = make_skorch_problem(n_classes=12)  # 12 outputs, 10 classes
    with pytest.raises(ValueError, match="embedding_layer=<name>"):
        Badge().query(X, y, clf, fit_clf=False)
    idx = Badge(embedding_layer="head").query(X, y, clf, False, batch_size=2)
    assert idx.shape == (2,)


def _net(**kw):
    torch.manual_seed(0)
    return NeuralNetClassifier(
        MLP,
        max_epochs=5,
        lr=0.1,
        criterion=nn.CrossEntropyLoss,
        train_split=None,
        verbose=0,
        **kw,
    )


def test_skorch_net_in_sklearn_classifier_nan_labels_warns_untrained():
    X, y_true = digits()
    y = np.full(len(X), np.nan)
    y[:60] = y_true[:60]
    clf = SklearnClassifier(_net(), classes=np.arange(10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SklearnClassifier's own warnings
        clf.fit(X, y)
    with pytest.warns(UntrainedModelWarning, match="float64"):
        Badge(random_state=0).query(X, y, clf, fit_clf=False, batch_size=3)


def test_skorch_net_in_sklearn_classifier_trains_with_int_labels():
    X, y_true = digits()
    y = np.full(len(X), -1)
    y[:60] = y_true[:60]
    clf = SklearnClassifier(_net(), classes=np.arange(10), missing_label=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntrainedModelWarning)
        idx, util = Badge(missing_label=-1, random_state=0).query(
            X, y, clf, batch_size=3, return_utilities=True
        )
        fitted = clf.fit(X, y)
        sel = Badge(random_state=0).select_batch(fitted, X[60:], batch_size=3)
    assert (idx >= 60).all() and sel.shape == (3,)
    assert np.isnan(util[:, :60]).all()


def test_skorch_classifier_without_labels_warns():
    X, _ = digits()
    y = np.full(len(X), np.nan)
    clf = SkorchClassifier(
        MLP,
        neural_net_param_dict=dict(max_epochs=2, train_split=None),
        classes=np.arange(10),
    )
    with pytest.warns(UntrainedModelWarning, match="no training step"):
        Badge(random_state=0).query(X, y, clf, batch_size=2)
    # The recipe starts a pool without labels with TypiClust: no
    # embedding, so nothing to warn about.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        idx = TypiClustThenBadge(random_state=0).query(X, y, clf, batch_size=2)
    kinds = {type(w.message).__name__ for w in caught}
    assert not {"WarmStartWarning", "UntrainedModelWarning"} & kinds
    assert len(set(idx.tolist())) == 2


def test_active_learning_loop_with_skorch_mlp():
    X, y_true = digits(400)
    y = np.full(len(X), MISSING_LABEL)
    y[:20] = y_true[:20]
    torch.manual_seed(0)
    clf = SkorchClassifier(
        MLP,
        neural_net_param_dict=dict(max_epochs=10, lr=0.1, train_split=None),
        classes=np.arange(10),
    )
    for qs in (Badge(random_state=0), RandomSampling(random_state=0)):
        y_loop = y.copy()
        for _ in range(3):
            idx = call_func(
                qs.query,
                X=X,
                y=y_loop,
                clf=clf,
                batch_size=10,
                fit_clf=True,
            )
            assert np.isnan(y_loop[idx]).all()
            assert len(set(idx.tolist())) == 10
            y_loop[idx] = y_true[idx]
        assert (~np.isnan(y_loop)).sum() == 50


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(4))
def test_torch_backend_matches_numpy_backend(dtype, seed):
    rng = np.random.RandomState(seed)
    _, delta, h = random_factors(rng, 3000, 10, 32, dtype=dtype)
    kw = dict(dtype=dtype, return_utilities=True)
    a = kmeans_plusplus(delta, h, 30, random_state=seed, **kw)
    b = kmeans_plusplus(
        torch.as_tensor(delta),
        torch.as_tensor(h),
        30,
        random_state=seed,
        backend="torch",
        **kw,
    )
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-4, atol=1e-9)
    c = farthest_first(delta, h, 30, **kw)
    d = farthest_first(delta, h, 30, backend="torch", **kw)
    np.testing.assert_array_equal(c[0], d[0])
    np.testing.assert_allclose(c[1], d[1], rtol=1e-4)


def test_torch_backend_on_degenerate_pools_and_errors():
    zeros = torch.zeros(20, 3)
    idx, _ = kmeans_plusplus(zeros, torch.ones(20, 4), 20, backend="torch")
    assert sorted(idx.tolist()) == list(range(20))
    idx, _ = farthest_first(zeros, torch.ones(20, 4), 20, backend="torch")
    assert idx.tolist() == list(range(20))
    with pytest.raises(ValueError, match="NaN"):
        kmeans_plusplus(
            torch.full((5, 2), float("nan")),
            torch.ones(5, 2),
            2,
            backend="torch",
        )
    with pytest.raises(ValueError, match="2-D"):
        kmeans_plusplus(torch.ones(5), torch.ones(5, 2), 2, backend="torch")
    with pytest.raises(ValueError, match="same number of rows"):
        kmeans_plusplus(torch.ones(5, 2), torch.ones(4, 2), 2, backend="torch")
    with pytest.raises(ValueError, match="backend"):
        kmeans_plusplus(torch.ones(5, 2), torch.ones(5, 2), 2, backend="jax")
    # A CPU tensor with the numpy backend is converted.
    idx, _ = kmeans_plusplus(torch.ones(5, 2), torch.rand(5, 2), 2)
    assert idx.shape == (2,)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_cuda_net_selects_on_gpu_like_numpy():  # pragma: no cover
    X, y, clf = make_skorch_problem()
    clf.neural_net_.module_.cuda()
    a = Badge(random_state=0, dtype=np.float64).query(
        X, y, clf, False, batch_size=10
    )
    b = Badge(random_state=0, dtype=np.float64, backend="numpy").query(
        X, y, clf, False, batch_size=10
    )
    np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_cuda_net_bait_on_gpu_like_numpy():  # pragma: no cover
    from skactiveml_badge import Bait

    X, y, clf = make_skorch_problem()
    clf.neural_net_.module_.cuda()
    a, ua = Bait().query(
        X, y, clf, False, batch_size=10, return_utilities=True
    )
    b, ub = Bait(backend="numpy").query(
        X, y, clf, False, batch_size=10, return_utilities=True
    )
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(ua, ub, rtol=1e-6, atol=1e-12)


def test_select_batch_with_bare_skorch_net():
    X, y_true = digits()
    net = _net()
    with pytest.raises(ValueError, match="not fitted"):
        Badge().select_batch(net, X[60:], batch_size=3)
    unfitted_clone_idx = Badge(random_state=0).select_batch(
        _net(), X[60:], X[:60], y_true[:60], batch_size=3
    )
    net.fit(X[:60], y_true[:60])
    idx = Badge(random_state=0).select_batch(net, X[60:], batch_size=3)
    assert idx.shape == unfitted_clone_idx.shape == (3,)
    assert len(set(idx.tolist())) == 3 and idx.max() < len(X) - 60
    # The net's own (eval) state is left as it was.
    assert net.module_.training


def test_skorch_net_with_nan_training_loss_warns():
    # skorch's default criterion is NLLLoss; on a module that returns
    # logits the loss is NaN, yet SklearnClassifier reports success.
    X, y_true = digits()
    y = np.full(len(X), -1)
    y[:60] = y_true[:60]
    torch.manual_seed(0)
    net = NeuralNetClassifier(MLP, max_epochs=2, train_split=None, verbose=0)
    clf = SklearnClassifier(net, classes=np.arange(10), missing_label=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert clf.is_fitted_
    with pytest.warns(UntrainedModelWarning, match="not finite"):
        Badge(missing_label=-1).query(X, y, clf, False, batch_size=2)


class TokenNet(nn.Module):
    """Integer inputs (token ids): they must not be cast to float."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.head = nn.Linear(8, 3)
        self.unused = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.emb(x).mean(dim=1))


def test_integer_inputs_and_a_layer_that_never_runs():
    torch.manual_seed(0)
    module = TokenNet()
    X = np.random.RandomState(0).randint(0, 20, size=(30, 5))
    proba, h = hooked_forward(
        module, X, lambda o: o.softmax(-1), 3, layer="head", dl_batch_size=8
    )
    assert proba.shape == (30, 3) and h.shape == (30, 8)
    with pytest.raises(RuntimeError, match="not called"):
        hooked_forward(module, X, lambda o: o.softmax(-1), 3, layer="unused")


def test_non_finite_net_outputs_are_reported():
    X, y, clf = make_skorch_problem()
    with torch.no_grad():
        clf.neural_net_.module_.head.weight[0, 0] = float("nan")
    for backend in ("torch", "numpy"):
        with pytest.raises(ValueError, match="non-finite"):
            Badge(backend=backend).query(X, y, clf, fit_clf=False)


def test_torch_kernel_device_argument_and_empty_pool():
    rng = np.random.RandomState(0)
    _, delta, h = random_factors(rng, 50, 3, 4)
    a = kmeans_plusplus(delta, h, 5, random_state=0, dtype=np.float64)[0]
    b = kmeans_plusplus(
        delta,
        h,
        5,
        random_state=0,
        dtype=np.float64,
        backend="torch",
        device="cpu",
    )[0]
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="at least one row"):
        kmeans_plusplus(torch.ones(0, 2), torch.ones(0, 2), 1, backend="torch")


def test_mc_dropout_probabilities_are_the_mean_of_dropout_passes():
    """By hand: seed torch, put the dropout layers in training mode and
    average the softmax of n passes; h stays the evaluation-mode input."""
    X, y, clf = make_skorch_problem()
    module = clf.neural_net_.module_
    n = 6
    proba, h = proba_and_embedding(clf, X, mc_dropout=n, mc_seed=11)
    eval_proba, eval_h = proba_and_embedding(clf, X)
    np.testing.assert_allclose(h, eval_h, rtol=1e-6)
    with torch.random.fork_rng():
        torch.manual_seed(11)
        module.eval()
        module.body[3].train()
        with torch.no_grad():
            xb = torch.as_tensor(X, dtype=torch.float32)
            ref = sum(torch.softmax(module(xb), 1) for _ in range(n)) / n
        module.eval()
    np.testing.assert_allclose(proba, ref.numpy(), rtol=1e-5, atol=1e-7)
    assert not np.allclose(proba, eval_proba)
    assert not module.training and not module.body[3].training


def test_skorch_nets_get_the_nets_study_settings():
    from skactiveml_badge.pool._switch import model_family

    X, y, clf = make_skorch_problem()
    assert model_family(clf) == "nets"
    assert model_family(clf.neural_net_) == "nets"  # a bare skorch net
    unfitted = SkorchClassifier(
        MLP, neural_net_param_dict=dict(max_epochs=1), classes=np.arange(10)
    )
    assert model_family(unfitted) == "nets"
