"""Loading and running tabular models. Native formats (XGBoost JSON/UBJ, LightGBM text, CatBoost .cbm) load
without pickle; a pickle/joblib file is only unpickled when the request says allow_pickle (the app sets it only
after its static scan passed and the user confirmed)."""
import os

import numpy as np


class WorkerError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


PICKLE_EXT = (".pkl", ".pickle", ".joblib")


def _kind_from_objective(obj):
    o = (obj or "").lower()
    if not o:
        return None
    if o.startswith(("binary", "multi", "multiclass", "multiclassova", "cross_entropy", "xentropy")) or o in ("logloss", "multiclass"):
        return "classification"
    if o.startswith(("reg", "regression", "huber", "fair", "poisson", "quantile", "mape", "gamma", "tweedie", "rmse", "mae", "l1", "l2", "count", "survival")):
        return "regression"
    if o.startswith("rank"):
        return "ranking"
    return None


def _jsonable_labels(values):
    out = []
    for v in np.asarray(values).reshape(-1).tolist():
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        out.append(v)
    return out


class Loaded:
    """One model ready to predict: `predict(X)` → (labels or values, probabilities or None)."""

    def __init__(self, framework, estimator, kind, features, n_features, classes, predict):
        self.framework = framework
        self.estimator = estimator
        self.kind = kind
        self.features = features
        self.n_features = n_features
        self.classes = classes
        self._predict = predict

    def describe(self):
        return {
            "framework": self.framework,
            "model_type": self.kind,
            "class_name": type(self.estimator).__module__ + "." + type(self.estimator).__name__,
            "features": self.features,
            "n_features": self.n_features,
            "classes": self.classes,
        }

    def predict(self, X):
        return self._predict(X)


def _sklearn_like(framework, est):
    """Any estimator with the scikit-learn API (sklearn itself, XGBClassifier, LGBMRegressor, CatBoost…)."""
    if not hasattr(est, "predict"):
        raise WorkerError("NOT_A_MODEL", f"the pickle holds a {type(est).__module__}.{type(est).__name__}, which has no predict()")
    names = getattr(est, "feature_names_in_", None)
    features = [str(n) for n in names] if names is not None else None
    n = getattr(est, "n_features_in_", None)
    if n is None and features is not None:
        n = len(features)
    classes = getattr(est, "classes_", None)
    is_clf = classes is not None or getattr(est, "_estimator_type", None) == "classifier"
    try:
        from sklearn.base import is_classifier, is_regressor

        if is_classifier(est):
            is_clf = True
        elif is_regressor(est):
            is_clf = False
    except Exception:  # noqa: BLE001 - sklearn's helpers are a hint only
        pass
    kind = "classification" if is_clf else ("regression" if hasattr(est, "predict") else None)
    cls = _jsonable_labels(classes) if classes is not None else None

    def predict(X):
        if features is not None:
            import pandas as pd  # noqa: PLC0415 - estimators fitted on frames warn on plain arrays

            X = pd.DataFrame(X, columns=features)
        y = est.predict(X)
        proba = est.predict_proba(X).tolist() if is_clf and hasattr(est, "predict_proba") else None
        return _jsonable_labels(y), proba

    return Loaded(framework, est, kind, features, None if n is None else int(n), cls, predict)


def _xgboost(path):
    import xgboost as xgb

    b = xgb.Booster()
    b.load_model(path)
    import json

    cfg = json.loads(b.save_config())
    objective = cfg.get("learner", {}).get("objective", {}).get("name", "")
    kind = _kind_from_objective(objective)
    nclass = int(cfg.get("learner", {}).get("learner_model_param", {}).get("num_class", "0") or 0)
    features = list(b.feature_names) if b.feature_names else None
    n = b.num_features()

    def predict(X):
        d = xgb.DMatrix(np.asarray(X, dtype=np.float32), feature_names=features)
        p = b.predict(d)
        if objective.startswith("binary:logistic"):
            return [int(v > 0.5) for v in p.tolist()], [[1.0 - v, v] for v in p.tolist()]
        if objective == "multi:softprob":
            return [int(i) for i in p.argmax(axis=1).tolist()], p.tolist()
        return _jsonable_labels(p), None

    classes = list(range(max(nclass, 2))) if kind == "classification" else None
    return Loaded("xgboost", b, kind, features, int(n), classes, predict)


def _lightgbm(path):
    import lightgbm as lgb

    b = lgb.Booster(model_file=path)
    objective = str(b.params.get("objective") or b.dump_model(num_iteration=0).get("objective", "")).split(" ")[0]
    kind = _kind_from_objective(objective)
    features = b.feature_name()
    nclass = int(b.params.get("num_class", 1) or 1)

    def predict(X):
        p = b.predict(np.asarray(X, dtype=np.float64))
        if objective == "binary":
            return [int(v > 0.5) for v in p.tolist()], [[1.0 - v, v] for v in p.tolist()]
        if objective in ("multiclass", "softmax", "multiclassova"):
            return [int(i) for i in p.argmax(axis=1).tolist()], p.tolist()
        return _jsonable_labels(p), None

    classes = list(range(max(nclass, 2))) if kind == "classification" else None
    return Loaded("lightgbm", b, kind, features, b.num_feature(), classes, predict)


def _catboost(path):
    from catboost import CatBoost

    m = CatBoost()
    m.load_model(path)
    loss = str(m.get_all_params().get("loss_function", ""))
    kind = "classification" if loss in ("Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll") else "regression"
    features = [str(f) for f in m.feature_names_] if getattr(m, "feature_names_", None) else None
    classes = _jsonable_labels(m.classes_) if kind == "classification" and getattr(m, "classes_", None) is not None else None

    def predict(X):
        X = np.asarray(X, dtype=np.float64)
        if kind == "classification":
            p = m.predict(X, prediction_type="Probability")
            idx = p.argmax(axis=1).tolist()
            return [classes[i] if classes else i for i in idx], p.tolist()
        return _jsonable_labels(m.predict(X)), None

    return Loaded("catboost", m, kind, features, len(features) if features else None, classes, predict)


def _framework_of(est):
    mod = type(est).__module__.split(".")[0]
    return {"sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost"}.get(mod, "pickle")


def format_of(path):
    low = path.lower()
    if low.endswith(PICKLE_EXT):
        return "pickle"
    if low.endswith(".cbm"):
        return "catboost"
    if low.endswith((".txt", ".lgb", ".model")):
        return "lightgbm"
    if low.endswith((".json", ".ubj", ".xgb")):
        return "xgboost"
    return None


def load(path, fmt=None, allow_pickle=False):
    """`fmt`: pickle | xgboost | lightgbm | catboost, else guessed from the file name (vault blobs have none)."""
    if not os.path.isfile(path):
        raise WorkerError("NOT_FOUND", f"no model file at {path}")
    fmt = fmt or format_of(path)
    if fmt in ("pickle", "sklearn", "joblib"):
        if not allow_pickle:
            raise WorkerError("PICKLE_NOT_ALLOWED", "this model is a pickle: loading it runs code from the file; it needs the scan to pass and an explicit confirmation (allow_pickle)")
        import joblib

        est = joblib.load(path)
        return _sklearn_like(_framework_of(est), est)
    try:
        if fmt == "catboost":
            return _catboost(path)
        if fmt == "lightgbm":
            return _lightgbm(path)
        if fmt == "xgboost":
            return _xgboost(path)
    except WorkerError:
        raise
    except Exception as e:  # noqa: BLE001 - the library's own reason, quoted
        raise WorkerError("LOAD_FAILED", f"cannot load {os.path.basename(path)} as {fmt}: {type(e).__name__}: {e}") from e
    raise WorkerError("UNSUPPORTED", f"cannot tell how to load {os.path.basename(path)} (format {fmt or 'unknown'}): give format pickle, xgboost, lightgbm or catboost")
