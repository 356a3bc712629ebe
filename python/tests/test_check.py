"""Screener.check / check_many against `banchi check --json`, and bad inputs."""

from __future__ import annotations

import threading
import time

import pytest

import banchi
from conftest import SAMPLE_FRAUD, sample_addresses


@pytest.fixture(scope="module")
def screener():
    return banchi.Screener(fraud=SAMPLE_FRAUD)


def test_check_equals_the_cli(screener, cli_json_lines):
    addresses = [a for a in sample_addresses() if a]
    expected = cli_json_lines("check", "--json", "--fraud", SAMPLE_FRAUD, *addresses)
    assert len(expected) == len(addresses)
    for address, e in zip(addresses, expected):
        got = screener.check(address).to_dict()
        assert got.pop("action") in ("allow", "review", "block")
        assert got == e, address


def test_screening_attributes(screener):
    s = screener.check("東京都世田谷区三軒茶屋２丁目１１番５号 コーポ黒猫 201号室")
    assert s.grade == "danger"
    assert s.stars == "★★★"
    assert s.labels == ("★★★危険", None)
    assert s.score >= 80 and s.level == "high" and s.alert
    assert s.action == "block"
    assert s.reason_codes[0] == "fraud_danger"
    assert s.reasons[0]["code"] == "fraud_danger" and s.reasons[0]["points"] == 80
    assert s.matches[0]["list"] == "fraud" and s.matches[0]["id"] == "F0001"
    assert s.address.room == "201"
    assert s.error is None
    w = screener.check("神奈川県大和市南林間1-8-17 DANKEBOX PM12345")
    assert w.forwarder == "forwarding_service"
    assert any(m["list"] == "forwarder" for m in w.matches)
    low = screener.check("東京都中央区銀座4-6-16")
    assert (low.grade, low.stars, low.action, low.level) == (None, "", "allow", "low")


def test_buyer_fields_score(screener):
    plain = screener.check("東京都中央区銀座4-6-16")
    dummy = screener.check("東京都中央区銀座4-6-16", phone="00-0000-0000", email="test@test.com")
    assert "dummy_phone" in dummy.reason_codes and "dummy_email" in dummy.reason_codes
    assert dummy.score > plain.score


def test_check_many_equals_check(screener):
    addresses = sample_addresses() * 50
    many = screener.check_many(addresses)
    assert len(many) == len(addresses)
    for a, s in zip(addresses, many):
        one = screener.check(a)
        # Matches and the reasons naming them are read late (first access): either getter
        # may come first.
        if len(a) % 2:
            assert s.matches == one.matches and s.reasons == one.reasons
        else:
            assert s.reasons == one.reasons and s.matches == one.matches
        assert s.to_dict() == one.to_dict()
    assert any(s.matches for s in many), "the sample holds listed addresses"


def test_check_many_results_live_outside_the_cyclic_gc(screener):
    """The results hold no Python object, so they are untracked (a million of them would
    otherwise cost the collector ~0.6 s); they still work and are freed like any object."""
    import gc

    addresses = sample_addresses()
    many = screener.check_many(addresses)
    assert not any(gc.is_tracked(s) for s in many)
    gc.collect()
    assert [s.to_dict() for s in many] == [screener.check(a).to_dict() for a in addresses]
    # An iterable that is not a list, whose strs exist nowhere else.
    gen = screener.check_many((a + "x")[:-1] for a in addresses)
    assert [s.input for s in gen] == addresses
    del many, gen
    gc.collect()


def test_check_many_none_is_an_empty_cell(screener):
    out = screener.check_many(["東京都中央区銀座4-6-16", None, ""])
    assert out[0].error is None
    assert out[1].error == "empty address" and out[1].address is None
    assert out[1].to_dict() == out[2].to_dict()
    assert "unparseable_address" in out[1].reason_codes


def test_check_many_buyer_columns(screener):
    out = screener.check_many(
        ["東京都中央区銀座4-6-16"] * 2, names=[None, "テスト"], phones=["00-0000-0000", None]
    )
    assert "dummy_phone" in out[0].reason_codes
    assert "dummy_name" in out[1].reason_codes
    with pytest.raises(ValueError, match="names has 1 items, addresses has 2"):
        screener.check_many(["a", "b"], names=["x"])


@pytest.mark.parametrize("bad", [[1], ["ok", b"bytes"], [["nested"]]])
def test_check_many_non_text_raises(screener, bad):
    with pytest.raises(TypeError, match=r"addresses\[\d\] is"):
        screener.check_many(bad)


def test_check_many_refuses_one_string(screener):
    with pytest.raises(TypeError, match="one str"):
        screener.check_many("東京都中央区銀座4-6-16")


def test_long_input_is_an_error_not_a_crash(screener):
    big = "東" * 40_000  # 120 kB
    s = screener.check(big)
    assert s.error.startswith("address too long: 120000 bytes")
    many = screener.check_many([big, "x" * 100_000, "東京都中央区銀座4-6-16"])
    assert many[0].error.startswith("address too long")
    assert many[1].error.startswith("address too long")
    assert many[2].error is None


def test_check_many_releases_the_gil(screener):
    """While check_many runs in another thread, this thread keeps running Python: the
    longest pause it sees is far shorter than the call."""
    addresses = sample_addresses() * 12_000  # ~240k addresses, about a second
    done = threading.Event()
    took = []

    def work():
        start = time.perf_counter()
        screener.check_many(addresses)
        took.append(time.perf_counter() - start)
        done.set()

    t = threading.Thread(target=work)
    last = time.perf_counter()
    longest = 0.0
    t.start()
    while not done.is_set():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    t.join()
    assert took[0] > 0.2, "the call was too short to tell"
    # Held for the whole call, the GIL would stop this loop for most of it; the GIL is
    # taken only to read the inputs and to build the results.
    assert longest < took[0] * 0.6, (longest, took[0])


def test_screener_is_shared_between_threads(screener):
    from concurrent.futures import ThreadPoolExecutor

    addresses = sample_addresses()
    expected = [s.to_dict() for s in screener.check_many(addresses)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: [s.to_dict() for s in screener.check_many(addresses)], range(8)))
    assert all(r == expected for r in results)
