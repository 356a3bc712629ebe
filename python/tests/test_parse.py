"""banchi.Parser against `banchi normalize`, and its errors."""

from __future__ import annotations

import pytest

import banchi
from conftest import sample_addresses


def test_parts_of_a_known_address():
    a = banchi.Parser().parse("〒104-0061 東京都中央区銀座４丁目６番１６号 銀座ビル３Ｆ 301号室")
    assert (a.prefecture, a.city, a.town, a.chome) == ("東京都", "中央区", "銀座", 4)
    assert (a.banchi, a.go, a.building, a.floor, a.room) == ("6", "16", "銀座ビル", "3", "301")
    assert a.level == "unit"
    assert a.key == "13102|銀座|4|6|16|3|301"
    assert a.city_code == "13102"
    assert a.postal_code == "104-0061"
    assert a.anomalies == []
    assert a.error is None
    assert a.normalized == "東京都中央区銀座4丁目6-16 銀座ビル 3F 301号室"


def test_one_key_across_notations():
    p = banchi.Parser()
    a = p.parse("大阪府大阪市北区梅田３丁目１−１ 大阪ビル12F")
    b = p.parse("大阪市北区梅田三丁目一番一号　大阪ビル１２階")
    assert a.key == b.key
    assert a != b  # the inputs differ
    assert a == p.parse("大阪府大阪市北区梅田３丁目１−１ 大阪ビル12F")


def test_anomalies_are_reported():
    a = banchi.Parser().parse("東京都世田谷区東京都黒猫1-1-1-101ハイツ黒猫")
    assert "duplicated_prefecture" in a.anomalies
    assert "unknown_town" in a.anomalies


def test_to_dict_is_what_the_cli_prints(cli_json_lines):
    addresses = [a for a in sample_addresses() if a]
    expected = cli_json_lines("normalize", *addresses)
    p = banchi.Parser()
    got = [p.parse(a).to_dict() for a in addresses]
    assert len(got) == len(expected) == len(addresses)
    for g, e in zip(got, expected):
        assert g == e


def test_postal_code_given_beside_the_address():
    p = banchi.Parser()
    a = p.parse("銀座4-6-16", postal_code="104-0061")
    assert (a.city, a.town) == ("中央区", "銀座")
    b = p.parse("東京都中央区銀座4-6-16", postal_code="150-0002")
    assert "postal_code_mismatch" in b.anomalies


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty address"),
        ("   ", "empty address"),
        ("hello world", "no prefecture, municipality or town recognised"),
        ("1" * 100_000, "address too long: 100000 bytes (at most 1024)"),
    ],
)
def test_bad_text_raises_parse_error(text, message):
    with pytest.raises(banchi.ParseError) as e:
        banchi.Parser().parse(text)
    assert str(e.value) == message
    assert isinstance(e.value, ValueError)
    assert isinstance(e.value, banchi.BanchiError)


@pytest.mark.parametrize("value", [None, 42, b"\xe6\x9d\xb1", ["東京都"]])
def test_non_text_raises_type_error(value):
    with pytest.raises(TypeError):
        banchi.Parser().parse(value)


def test_lone_surrogates_and_controls_do_not_crash():
    p = banchi.Parser()
    with pytest.raises((banchi.ParseError, UnicodeEncodeError)):
        p.parse("\ud800東京都")
    with pytest.raises(banchi.ParseError):
        p.parse("\x00\x01\x02")
