"""Scale-out: analyze_many-style work on a real Dask distributed LocalCluster (a scheduler and
two worker processes), gathered into a pandas DataFrame of features."""

import pathlib

import pytest

import quaver

distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

ROOT = pathlib.Path(__file__).resolve().parents[3]


def features(path: str) -> dict:
    import quaver as q

    q.set_num_threads(1)  # one engine thread per single-threaded Dask worker
    a = q.analyze(path)
    row = dict(zip(a.feature_names, a.feature_vector.tolist()))
    row["path"] = path
    row["bpm"] = a.tempo["bpm"]
    row["lufs"] = a.loudness["integrated_lufs"]
    return row


def test_dask_local_cluster_feature_frame():
    paths = sorted(str(p) for p in (ROOT / "tests" / "data").glob("*.flac"))
    paths.append(str(ROOT / "examples" / "data" / "calling_bogus_30s.flac"))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        rows = client.gather(client.map(features, paths))
    df = pd.DataFrame(rows).set_index("path")
    assert list(df.index) == paths
    assert df.shape[1] == len(quaver.analyze(paths[0]).feature_names) + 2
    # Same numbers as a local call: the engine is deterministic across processes.
    local = features(paths[-1])
    assert df.loc[paths[-1], "lufs"] == pytest.approx(local["lufs"], abs=1e-12)
    assert df.loc[paths[-1], "bpm"] == local["bpm"]
