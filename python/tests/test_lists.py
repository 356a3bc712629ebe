"""Lists from files and from rows; list, index and configuration errors."""

from __future__ import annotations

import pytest

import banchi
from conftest import SAMPLE_FRAUD, read_csv_rows, sample_addresses

ADDRESS = "東京都世田谷区三軒茶屋2-11-5 コーポ黒猫201号室"


def verdicts(screener):
    return [s.to_dict() for s in screener.check_many(sample_addresses())]


def test_index_file_equals_csv(sample_index):
    from_csv = banchi.Screener(fraud=SAMPLE_FRAUD)
    from_index = banchi.Screener(fraud=sample_index)
    assert from_index.fraud_entries == from_csv.fraud_entries == 8
    assert verdicts(from_index) == verdicts(from_csv)
    assert "8 rows: 8 indexed" in from_csv.fraud_report


def test_from_lists_equals_the_file():
    rows = read_csv_rows(SAMPLE_FRAUD)
    expected = verdicts(banchi.Screener(fraud=SAMPLE_FRAUD))
    assert verdicts(banchi.Screener.from_lists(fraud=rows)) == expected
    pa = pytest.importorskip("pyarrow")
    assert verdicts(banchi.Screener.from_lists(fraud=pa.Table.from_pylist(rows))) == expected
    pl = pytest.importorskip("polars")
    assert verdicts(banchi.Screener.from_lists(fraud=pl.DataFrame(rows))) == expected


def test_from_lists_strings_and_forwarders():
    s = banchi.Screener.from_lists(
        fraud=[ADDRESS],
        forwarders=[{"id": "W1", "address": "東京都中央区銀座4-6-16", "service": "テスト転送"}],
    )
    assert s.check("東京都世田谷区三軒茶屋２丁目１１番５号 201").grade == "danger"
    assert s.check("東京都中央区銀座４丁目６番１６号").forwarder == "forwarding_service"
    # The bundled warehouses are not in a list given as rows.
    assert s.check("神奈川県大和市南林間1-8-17").forwarder is None
    none = banchi.Screener.from_lists(fraud=[ADDRESS], no_forwarders=True)
    assert none.forwarder_report is None


def test_list_errors_name_lines_never_addresses(tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text(f"id,address\nF1,{ADDRESS}\nF1,{ADDRESS}\n", encoding="utf-8")
    with pytest.raises(banchi.ListError) as e:
        banchi.Screener(fraud=dup)
    assert "duplicate id `F1` on lines 2 and 3" in str(e.value)
    assert "三軒茶屋" not in str(e.value)
    with pytest.raises(banchi.ListError, match="no `address` column"):
        banchi.Screener.from_lists(fraud=[{"id": "F1", "where": ADDRESS}])
    with pytest.raises(banchi.ListError, match="lines 2 and 3"):
        banchi.Screener.from_lists(fraud=[{"id": "F1", "address": ADDRESS}] * 2)
    with pytest.raises(banchi.ListError, match="no `service` column"):
        banchi.Screener.from_lists(forwarders=[ADDRESS])
    with pytest.raises(TypeError, match=r"rows\[1\] is int"):
        banchi.Screener.from_lists(fraud=[ADDRESS, 5])
    with pytest.raises(TypeError, match="holds a"):
        banchi.Screener.from_lists(fraud=[{"address": ADDRESS, "memo": object()}])


def test_rejected_rows_are_reported_by_line():
    s = banchi.Screener.from_lists(fraud=[ADDRESS, "東京都中央区", "hello"])
    report = s.fraud_report
    assert "3 rows: 1 indexed, 0 disabled, 2 rejected" in report
    assert "line 3:" in report and "line 4:" in report
    assert "中央区" not in report and "hello" not in report


def test_corrupt_truncated_and_foreign_indexes(sample_index, tmp_path):
    data = bytearray(sample_index.read_bytes())
    corrupt = tmp_path / "corrupt.idx"
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(flipped))
    with pytest.raises(banchi.ListError, match="corrupt"):
        banchi.Screener(fraud=corrupt)
    truncated = tmp_path / "truncated.idx"
    truncated.write_bytes(bytes(data[: len(data) - 7]))
    with pytest.raises(banchi.ListError, match="truncated"):
        banchi.Screener(fraud=truncated)
    garbage = tmp_path / "garbage.idx"
    garbage.write_bytes(b"BANCHIWL" + bytes(range(256)) * 4)
    with pytest.raises(banchi.ListError):
        banchi.Screener(fraud=garbage)


def test_index_of_the_other_kind(cli, tmp_path):
    fw = tmp_path / "fw.csv"
    fw.write_text("id,address,service\nW1,東京都中央区銀座4-6-16,テスト転送\n", encoding="utf-8")
    idx = tmp_path / "fw.idx"
    cli("index", "build", fw, "-o", idx, "--kind", "forwarder")
    with pytest.raises(banchi.ListError, match="not a fraud list"):
        banchi.Screener(fraud=idx)
    assert banchi.Screener(forwarders=idx).check("東京都中央区銀座4-6-16").forwarder == "forwarding_service"


def test_missing_files_are_os_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.idx"):
        banchi.Screener(fraud=tmp_path / "nothing.idx")
    with pytest.raises(FileNotFoundError):
        banchi.Screener(config=tmp_path / "nothing.toml")


def test_configuration(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[score]\nno_such_key = 1\n", encoding="utf-8")
    with pytest.raises(banchi.ConfigError):
        banchi.Screener(config=bad)
    strict = tmp_path / "strict.toml"
    strict.write_text("[weights]\nfraud_danger = 95\n", encoding="utf-8")
    s = banchi.Screener(fraud=SAMPLE_FRAUD, config=strict)
    assert "fraud_danger = 95" in s.config_toml
    assert s.check("東京都世田谷区三軒茶屋2-11-5 コーポ黒猫201号室").score == 95
