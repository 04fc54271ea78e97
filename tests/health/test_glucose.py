"""Glucose units: conversions to and from mg/dL as the intent contract fixes them (1 g/L = 100 mg/dL,
1 mmol/L = 18.016 mg/dL, rounded to 0.1), plausibility and compact numbers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice_assistant.health.glucose import (
    BARE_MG_DL_FROM,
    MG_DL_PER_G_L,
    MG_DL_PER_MMOL_L,
    PLAUSIBLE_MG_DL,
    GlucoseUnit,
    compact_number,
    from_mg_dl,
    is_plausible,
    to_mg_dl,
)


def test_contract_constants():
    assert (MG_DL_PER_G_L, MG_DL_PER_MMOL_L) == (100.0, 18.016)
    assert BARE_MG_DL_FROM == 35
    assert PLAUSIBLE_MG_DL == (20.0, 600.0)


def test_unit_names_are_what_profiles_hold():
    assert [unit.value for unit in GlucoseUnit] == ["mg/dL", "g/L", "mmol/L"]
    assert GlucoseUnit("g/L") is GlucoseUnit.G_L


@pytest.mark.parametrize("value, mg_dl", [
    (1.2, 120), (1.20, 120), (0.68, 68), (1.06, 106), (2, 200), (1.15, 115), (0.54, 54),
])
def test_grams_per_litre(value, mg_dl):
    assert to_mg_dl(value, GlucoseUnit.G_L) == mg_dl


@pytest.mark.parametrize("value, mg_dl", [
    (6.5, 117.1),  # 117.104
    (7.2, 129.7),  # 129.7152
    (5.5, 99.1),  # 99.088
    (3.9, 70.3),  # 70.2624
    (3, 54.0),  # 54.048
    (10, 180.2),  # 180.16
    (33.3, 599.9),  # 599.9328
])
def test_millimoles_per_litre_round_to_a_tenth(value, mg_dl):
    assert to_mg_dl(value, GlucoseUnit.MMOL_L) == mg_dl


@pytest.mark.parametrize("value, mg_dl", [(118, 118), (117.14, 117.1), (117.16, 117.2), (0, 0)])
def test_milligrams_per_decilitre_round_to_a_tenth(value, mg_dl):
    assert to_mg_dl(value, GlucoseUnit.MG_DL) == mg_dl


@pytest.mark.parametrize("mg_dl, unit, value", [
    (120, GlucoseUnit.G_L, 1.2),
    (68, GlucoseUnit.G_L, 0.68),
    (117.1, GlucoseUnit.G_L, 1.17),
    (117.1, GlucoseUnit.MMOL_L, 6.5),
    (99.1, GlucoseUnit.MMOL_L, 5.5),
    (180, GlucoseUnit.MMOL_L, 10.0),
    (117.1, GlucoseUnit.MG_DL, 117),
    (117.6, GlucoseUnit.MG_DL, 118),
])
def test_from_mg_dl(mg_dl, unit, value):
    assert from_mg_dl(mg_dl, unit) == value


def test_from_mg_dl_gives_whole_milligrams():
    assert isinstance(from_mg_dl(117.6, GlucoseUnit.MG_DL), int)


@given(st.integers(min_value=11, max_value=333))
def test_a_value_said_in_mmol_reads_back_as_said(tenths):
    said = tenths / 10
    assert from_mg_dl(to_mg_dl(said, GlucoseUnit.MMOL_L), GlucoseUnit.MMOL_L) == said


@given(st.integers(min_value=20, max_value=600))
def test_a_value_said_in_g_per_litre_reads_back_as_said(hundredths):
    said = hundredths / 100
    assert from_mg_dl(to_mg_dl(said, GlucoseUnit.G_L), GlucoseUnit.G_L) == said


@pytest.mark.parametrize("mg_dl, plausible", [
    (19.9, False), (20, True), (120, True), (600, True), (600.1, False), (0, False), (-1, False),
])
def test_plausible_range_includes_both_ends(mg_dl, plausible):
    assert is_plausible(mg_dl) is plausible


@pytest.mark.parametrize("value, compact", [(118.0, 118), (118, 118), (117.1, 117.1), (0.0, 0), (1.25, 1.25)])
def test_compact_number(value, compact):
    result = compact_number(value)
    assert result == compact and type(result) is type(compact)
