"""scikit-learn side of `npm run bench:quality` (run with Debian's /usr/bin/python3 and python3-sklearn).

  export DIR            writes the data sets scikit-learn bundles (iris, breast_cancer, digits,
                        diabetes) as CSV files into DIR: feature columns, then `target`
  reference < JOBS      fits the reference model of every job on its train CSV (three times: the
                        median fit time counts), scores its test CSV and prints one JSON line
                        per job: {"id", "score", "fit_ms"}

A job is {"id", "model", "train", "test", "target", "text"?}; "model" is one of the keys of
REFERENCES. Nothing is downloaded: the data sets ship inside the package.
"""
import csv
import json
import sys
import time

from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

BUNDLED = {"iris": load_iris, "breast_cancer": load_breast_cancer, "digits": load_digits, "diabetes": load_diabetes}

# Library defaults throughout; a fixed random_state where the model draws random numbers.
REFERENCES = {
    "logistic": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
    "linear": lambda: LinearRegression(),
    "mlp-classifier": lambda: make_pipeline(StandardScaler(), MLPClassifier(random_state=0)),
    "mlp-regressor": lambda: make_pipeline(StandardScaler(), MLPRegressor(random_state=0, max_iter=1000)),
    "tfidf-logistic": lambda: make_pipeline(TfidfVectorizer(), LogisticRegression()),
}


def export(directory):
    for name, loader in BUNDLED.items():
        bunch = loader()
        with open(f"{directory}/{name}.csv", "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([str(column).replace(" ", "_") for column in bunch.feature_names] + ["target"])
            for features, target in zip(bunch.data, bunch.target):
                value = int(target) if float(target).is_integer() else float(target)
                writer.writerow([repr(float(x)) for x in features] + [value])


def read(path, target, text):
    with open(path, newline="") as source:
        rows = list(csv.DictReader(source))
    labels = [row[target] for row in rows]
    if text:
        return [row[text] for row in rows], labels
    columns = [column for column in rows[0] if column != target]
    return [[float(row[column]) for column in columns] for row in rows], labels


def reference(job):
    x_train, y_train = read(job["train"], job["target"], job.get("text"))
    x_test, y_test = read(job["test"], job["target"], job.get("text"))
    if job["model"] in ("linear", "mlp-regressor"):
        y_train, y_test = [float(y) for y in y_train], [float(y) for y in y_test]
    fit_ms = []
    for _ in range(3):
        model = REFERENCES[job["model"]]()
        started = time.perf_counter()
        model.fit(x_train, y_train)
        fit_ms.append((time.perf_counter() - started) * 1000)
    # score() is accuracy for classifiers and R² for regressors.
    return {"id": job["id"], "score": model.score(x_test, y_test), "fit_ms": sorted(fit_ms)[1]}


if __name__ == "__main__":
    if sys.argv[1:2] == ["export"]:
        export(sys.argv[2])
    elif sys.argv[1:2] == ["reference"]:
        import warnings

        warnings.simplefilter("ignore")  # convergence warnings: the references run with their defaults
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(reference(json.loads(line))), flush=True)
    else:
        sys.exit(__doc__)
