"""CSV upload: a good table trains; every kind of bad file gets a 422 naming the field and the place."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.main import create_app
from server.settings import Settings

GOOD = "size,rooms,age,price\n50,2,10,1.5\n80,3,5,2.5\n120,4,20,3.1\n65,2,1,2.0\n90,3,15,2.2\n"


def upload(client, text: str, **kw):
    return client.post("/api/datasets/csv", json={"csv": text, **kw})


def test_a_good_table_becomes_an_inline_dataset_that_trains(client, post) -> None:
    r = upload(client, GOOD)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["feature_names"] == ["size", "rooms", "age"] and d["target_name"] == "price"
    assert d["task"] == "regression" and d["n_samples"] == 5 and d["n_features"] == 3
    assert d["X"][0] == [50, 2, 10] and d["y"][0] == [1.5] and d["class_names"] is None
    s = post("/api/sessions", {"dataset": {"name": "inline", "X": d["X"], "y": d["y"], "task": d["task"],
                                           "standardize": True}}, status=201)
    res = post(f"/api/sessions/{s['id']}/epochs", {"count": 5})
    assert len(res["train_loss"]) == 5 and res["finite"]
    assert res["train_loss"][-1] < res["train_loss"][0]


def test_targets_by_name_or_index_and_class_encoding(client) -> None:
    three = "a;b;label\n1;2;0\n2;1;1\n3;3;2\n0;1;1\n"
    d = upload(client, three).json()  # ';' alone splits row 1: unambiguous
    assert d["task"] == "classification" and d["class_names"] == ["0", "1", "2"]
    assert d["y"][2] == [0, 0, 1]
    d = upload(client, "1\t7\t0\n2\t8\t1\n3\t9\t1\n", target=0, task="regression").json()
    assert d["target_name"] == "x1" and d["feature_names"] == ["x2", "x3"] and d["y"] == [[1], [2], [3]]
    d = upload(client, "x,cls\n0.5,3\n0.7,7\n0.1,3\n", target="cls").json()
    assert d["task"] == "classification" and d["class_names"] == ["3", "7"] and d["y"] == [[0], [1], [0]]
    d = upload(client, "1,2\n3,4\n", has_header=False).json()
    assert d["n_samples"] == 2


BAD = [
    ("", {}, "csv: the file is empty"),
    ("   \n\n", {}, "csv: the file is empty"),
    ("a,b,c\n", {}, "csv: the file has a header row but no data rows"),
    ("a|b|c\n1|2|3\n", {}, "csv: row 1 has a single column"),
    ("a,b;c\n1,2;3\n", {}, "csv: row 1 splits on both ',' and ';'"),
    ("a,b\n1,2\nx,4\n", {}, "csv: row 3, column 1 ('a') is not a number: 'x'"),
    ("a,b\n1,2\n3\n", {}, "csv: row 3 has 1 cells, expected 2"),
    ("a,b\n1,2\n3,4,5\n", {}, "csv: row 3 has 3 cells, expected 2"),
    ("a,b\n1,\n3,4\n", {}, "csv: row 2, column 2 ('b') is empty"),
    ("a,b\n1,nan\n3,4\n", {}, "csv: row 2, column 2 ('b') is 'nan'"),
    ("a,b\n1,inf\n3,4\n", {}, "csv: row 2, column 2 ('b') is 'inf'"),
    ("a,b\n1,2\n3,4\n", {"target": "z"}, "target: no column named 'z'; columns are 'a', 'b'"),
    ("a,b\n1,2\n3,4\n", {"target": 5}, "target: column index 5 is out of range"),
    ("1,2\n3,4\n", {"target": "b"}, "target: no column named 'b'; the file has no header row"),
    ("y\n1\n2\n", {}, "target: the table has the single column 'y'"),
    ("a b\n1 2\n", {}, "csv: row 1 has a single column"),
    ("a,b\n1,1\n2,1\n3,1\n", {"task": "classification"}, "target: column 'b' holds the single value 1"),
    ("a,b\n" + "1,2\n" * 5, {"has_header": True, "task": "classification"}, "target: column 'b' holds the single"),
]


@pytest.mark.parametrize("text, kw, detail", BAD, ids=[b[2][:40] for b in BAD])
def test_bad_files_are_422_naming_the_field_and_the_place(client, text, kw, detail) -> None:
    r = upload(client, text, **kw)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(detail), r.json()["detail"]


def test_text_column_text_header_detection_and_quoted_cells(client) -> None:
    r = upload(client, 'name,v\n"apple",1\n"pear",2\n')
    assert r.status_code == 422 and r.json()["detail"] == \
        "csv: row 2, column 1 ('name') is not a number: 'apple'; only numeric columns are accepted"


def test_the_bounds_come_from_the_environment(monkeypatch) -> None:
    # The server reads its settings once, when the app is built: set them first.
    monkeypatch.setenv("MLP_PLAYGROUND_STORE", "memory")
    monkeypatch.setenv("MLP_PLAYGROUND_CSV_MAX_ROWS", "3")
    monkeypatch.setenv("MLP_PLAYGROUND_CSV_MAX_COLUMNS", "4")
    monkeypatch.setenv("MLP_PLAYGROUND_CSV_MAX_BYTES", "1000")
    with TestClient(create_app(Settings.from_env())) as client:
        r = upload(client, "a,b\n" + "1,2\n" * 4)
        assert r.status_code == 422 and r.json()["detail"].startswith("csv: 4 data rows; the limit is 3")
        r = upload(client, "1,2,3,4,5\n1,2,3,4,5\n")
        assert r.status_code == 422 and r.json()["detail"].startswith("csv: 5 columns; the limit is 4")
        r = upload(client, "a,b\n" + "1,2\n" * 300)
        assert r.status_code == 422 and r.json()["detail"].startswith("csv: 1204 bytes; the limit is 1000")


def test_a_body_over_the_server_limit_is_413(client) -> None:
    r = client.post("/api/datasets/csv", content=b'{"csv": "' + b"1,2\\n" * 5_000_000 + b'"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413
