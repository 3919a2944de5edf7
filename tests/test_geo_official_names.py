"""Issue 12, names: street name variants (homophones, suffixes, named parts, moved directions), notes that are not
streets, and school names linked to the OSM schools of the real 2025 Chengdu lists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import CHENGDU_OSM, SHARED_DATA, require_shared

from geo.official.entries import SEGMENT, SIDE, parse_range
from geo.official.match import SCHOOL_LINK_MIN, link_schools, match_entries, match_report
from geo.official.names import (
    LOOSE,
    LOOSE_REASON_KEYS,
    LOOSE_REASONS,
    MATCHED,
    R_AFFILIATED,
    R_CAMPUS,
    R_EXPERIMENTAL,
    R_FUZZY,
    R_ORDER,
    R_PART,
    R_PINYIN,
    R_PREFIX,
    R_SECTION,
    R_STREET_TYPE,
    R_SUFFIX,
    R_TAKEN,
    UNMATCHED,
    NameIndex,
    match_names,
    match_schools,
    pinyin_keys,
)
from geo.official.parse import read_zone_file
from geo.render.i18n import TEXT

ZONES = SHARED_DATA / "chengdu-zones-2025"


def _one(index: NameIndex, name: str) -> dict:
    return index.match(name)


# --- street variants -----------------------------------------------------------------------------------------

def test_each_loose_street_rule_gives_its_reason():
    index = NameIndex(["红星路", "纯阳观街", "上东大街段", "署袜北一街", "魁星楼街", "衫板桥路", "大井巷街", "蜀都大道少城路",
                       "蜀都大道东风路", "春熙路东段", "双桥路南六街", "纱帽北街", "东大街", "圃园南一路"])
    cases = {
        "红星路二段": ({"红星路"}, R_SECTION),
        "春熙路": ({"春熙路东段"}, R_SECTION),
        "东大街紫东楼段": ({"东大街"}, R_SECTION),         # a section given by name, only the street mapped
        "蜀都大道": ({"蜀都大道少城路", "蜀都大道东风路"}, R_PART),
        "纯阳观": ({"纯阳观街"}, R_STREET_TYPE),
        "大井巷": ({"大井巷街"}, R_SUFFIX),
        "东大街上东大街段": ({"上东大街段"}, R_PREFIX),
        "北纱帽街": ({"纱帽北街"}, R_ORDER),
        "奎星楼街": ({"魁星楼街"}, R_PINYIN),
        "奎星楼": ({"魁星楼街"}, R_PINYIN),               # a homophone without its street type
        "暑袜北一街": ({"署袜北一街"}, R_PINYIN),
        "杉板桥路": ({"衫板桥路"}, R_PINYIN),              # OSM's own slip (衫 for 杉)
        "园园南一路": ({"圃园南一路"}, R_FUZZY),            # OCR: 园 for 圃, not a homophone
    }
    for name, (names, reason) in cases.items():
        m = _one(index, name)
        assert (m["status"], set(m["names"]), m["reason"]) == (LOOSE, names, reason), name
    assert _one(index, "大井巷街")["reason"] == "" and _one(index, "红星路")["status"] == MATCHED
    assert _one(NameIndex(["大井巷"]), "大井巷街")["reason"] == R_SUFFIX  # the other way round
    for name in ("双桥路", "春熙路东四段", "天涯石北街", "智星二路"):
        assert _one(index, name)["status"] == UNMATCHED, name
    # Never a homophone that changes a direction or numeral, nor two characters of four (智星二路 / 致兴二路).
    assert _one(NameIndex(["天涯石南街"]), "天涯石难街")["status"] == UNMATCHED
    assert _one(NameIndex(["致兴二路"]), "智星二路")["status"] == UNMATCHED
    assert _one(NameIndex(["长青路", "长清路"]), "长庆路")["status"] == UNMATCHED  # two homophones: none


def test_a_wrong_street_of_a_similar_name_is_at_most_a_fuzzy_match():
    """光华大道一段 is not 成华大道一段 (5 km apart): only the fuzzy rule may take it, and says so, for the
    spatial check to reject it."""
    m = _one(NameIndex(["成华大道一段", "成华大道新鸿路"]), "光华大道一段")
    assert m["status"] == UNMATCHED or m["reason"] == R_FUZZY


def test_pinyin_is_read_per_character_with_every_reading():
    assert "kui xing lou" in set(pinyin_keys("奎星楼")) & set(pinyin_keys("魁星楼"))
    assert {"chang shun jie", "zhang shun jie"} <= set(pinyin_keys("长顺街"))  # 长: both readings
    assert len(pinyin_keys("长长长长长长")) == 8
    assert _one(NameIndex(["常顺街"]), "长顺街")["reason"] == R_PINYIN


def test_match_results_carry_the_reason():
    df = match_names(["纯阳观", "红星路", "不存在路"], ["纯阳观街", "红星路"])
    assert df.set_index("name")["reason"].to_dict() == {"纯阳观": R_STREET_TYPE, "红星路": "", "不存在路": ""}
    entries, _ = parse_range("纯阳观、红星路、不存在路", school="甲小学")
    m = match_entries(pd.DataFrame(entries), NameIndex(["纯阳观街", "红星路"]))
    assert m["reason"].tolist() == [R_STREET_TYPE, "", ""]
    assert match_report(m).set_index("street")["reason"].to_dict() == {"纯阳观": R_STREET_TYPE, "红星路": "",
                                                                       "不存在路": ""}
    assert "reason" in match_entries(pd.DataFrame(columns=list(m.columns[:13])), NameIndex([])).columns


def test_every_reason_has_its_text():
    assert set(LOOSE_REASON_KEYS) == set(LOOSE_REASONS)
    for key in [*LOOSE_REASON_KEYS.values(), "zone.reason.note"]:
        assert key in TEXT and all(TEXT[key]), key


# --- the list's text ----------------------------------------------------------------------------------------

def test_a_street_given_by_a_named_part_and_a_side():
    index = NameIndex(["蜀都大道少城路", "蜀都大道东风路", "东城根街", "西御街", "红星路", "东风路"])
    (side,), _ = parse_range("蜀都大道（少城路北侧）")
    assert (side["street"], side["kind"], side["side"], side["aliases"]) == ("蜀都大道", SIDE, "北", "蜀都大道少城路")
    (seg,), _ = parse_range("蜀都大道(少城路北侧东城根街至西御街)")
    assert (seg["kind"], seg["from_street"], seg["to_street"], seg["side"]) == (SEGMENT, "东城根街", "西御街", "北")
    m = match_entries(pd.DataFrame([side, seg]), index)
    assert m["status"].tolist() == [MATCHED, MATCHED] and m["names"].tolist() == [("蜀都大道少城路",)] * 2
    # A north-south street beside another one is not a named part of it: no alias.
    (hx,), _ = parse_range("红星路(东风路北侧)")
    assert (hx["street"], hx["kind"], hx["aliases"]) == ("红星路", SIDE, "")


@pytest.mark.parametrize("text", ["页面未列出具体划片范围", "详见区教育局公告", "以区教育局最终公告为准",
                                  "具体范围另行公布", "武侯区户籍智力残疾儿童、少年。"])
def test_notes_are_issues_not_streets(text):
    entries, issues = parse_range(text, school="甲小学", source="l.md", line=3)
    assert entries == [] and [(i["reason"], i["line"]) for i in issues] == [("note", 3)]


def test_a_note_beside_streets_keeps_the_streets_and_etc_words_are_dropped():
    entries, issues = parse_range("红星路二段、详见区教育局公告；武兴四路等地址")
    assert [e["street"] for e in entries] == ["红星路二段", "武兴四路"]
    assert [(i["text"], i["reason"]) for i in issues] == [("详见区教育局公告", "note")]


def test_names_without_a_street_type_in_a_clause_of_compounds_are_compounds():
    entries, issues = parse_range("潮音小区、团结小区、花洲绿汀、诺丁山、中华锦绣、榕苑、武青嘉苑、山南家园、武兴街")
    assert [e["street"] for e in entries] == ["武兴街"]
    assert {i["text"] for i in issues} >= {"花洲绿汀", "诺丁山", "中华锦绣"}
    assert {i["reason"] for i in issues} == {"not_street"}
    # Old street names without a type stay streets among streets.
    entries, _ = parse_range("东玉龙、慈惠堂、和平街、竹林巷、某某小区")
    assert [e["street"] for e in entries] == ["东玉龙", "慈惠堂", "和平街", "竹林巷"]


# --- the real lists -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def osm_index():
    from geo.inputs import load_network
    from geo.official.match import street_index

    return street_index(load_network(require_shared(CHENGDU_OSM)))


@pytest.fixture(scope="module")
def osm_schools():
    """Every OSM school in the extract whose name says 小学, 学校 or 中学 (the table a primary list is linked to)."""
    from geo.inputs.osm import read_osm_features

    s = read_osm_features(require_shared(CHENGDU_OSM), {"amenity": "school"})
    names = sorted({str(n) for n in s["name"].dropna() if any(w in str(n) for w in ("小学", "学校", "中学"))})
    assert len(names) >= 30
    return names


def test_real_lists_variants_and_notes(osm_index):
    found = set()
    for district in ("锦江", "成华", "金牛", "武侯"):
        z = read_zone_file(require_shared(ZONES / f"2025_{district}区_小学划片.md"))
        r = match_report(match_entries(z.entries, osm_index)).set_index("street")
        assert set(r.loc[r["status"] == LOOSE, "reason"]) <= set(LOOSE_REASONS), district
        assert (r.loc[r["status"] != LOOSE, "reason"] == "").all(), district
        found |= {(s, tuple(row["names"]), row["reason"]) for s, row in r[r["status"] == LOOSE].iterrows()}
        if district == "武侯":
            assert ((z.issues["line"] == 234) & (z.issues["reason"] == "note")).any()
            assert not {"诺丁山", "中华锦绣", "少年"} & set(z.entries["street"])
            assert "武兴四路" in set(z.entries["street"])
    for pair in [("北纱帽街", ("纱帽北街",), R_ORDER), ("暑袜北一街", ("署袜北一街",), R_PINYIN),
                 ("东大街紫东楼段", ("东大街",), R_SECTION), ("杉板桥路", ("衫板桥路",), R_PINYIN),
                 ("纯阳观", ("纯阳观街",), R_STREET_TYPE), ("园园南一路", ("圃园南一路",), R_FUZZY)]:
        assert pair in found, pair


def test_real_school_pairs_are_linked(osm_schools):
    listed = ["成都市培华小学校", "成都市马鞍小学校", "成都市北站小学校", "成都市沙湾路小学校", "成都市荷花池小学校",
              "成都市列五书池学校", "成都双语实验学校", "成都市建设路小学（枫林）"]
    want = ["培华小学", "马鞍小学", "北站小学", "沙湾路小学", "荷花池小学", "列五书池学校", "成都双语实验学校",
            "成都市建设路小学"]
    links = link_schools(listed, osm_schools)
    assert links["table_name"].tolist() == want
    assert (links["index"] >= 0).all()
    assert links["reason"].tolist() == [""] * 7 + [R_CAMPUS]  # 枫林: no such campus in the table, the main school


def test_branches_abbreviations_and_other_levels_are_not_linked(osm_schools):
    listed = ["成都市天涯石小学昭忠祠分校", "成都双语实验学校和悦分校", "成都市石室小学（育贤分校）", "成师附小",
              "成师附小万科分校", "成都市盐道街小学(东区）", "成都市树德小学", "成都市石室小学", "成都市沙河堡小学",
              "成都市金牛实验中学行知校区"]
    links = link_schools(listed, osm_schools)
    assert (links["index"] == -1).all(), links[links["index"] >= 0]
    assert links.set_index("name").loc["成都市沙河堡小学", "reason"] == R_FUZZY  # 沙河源小学, 80 < SCHOOL_LINK_MIN
    assert links.set_index("name").loc["成都市沙河堡小学", "score"] < SCHOOL_LINK_MIN


def test_campus_experimental_and_affiliated_links(osm_schools):
    table = [*osm_schools, "成都理工大学附小", "蓉城小学"]
    links = link_schools(["人北小学", "成都理工大学附属小学", "成都市人北小学（东区）", "成都市蓉城小学（芙蓉校区）",
                          "成都市蓉城小学"], table).set_index("name")
    assert links.loc["人北小学", ["table_name", "reason"]].tolist() == ["成都市人北实验小学", R_EXPERIMENTAL]
    assert links.loc["成都理工大学附属小学", ["table_name", "reason"]].tolist() == ["成都理工大学附小", R_AFFILIATED]
    assert links.loc["成都市人北小学（东区）", ["table_name", "reason"]].tolist() == ["成都市人北小学（东区）", ""]
    # A campus and its school share the table school.
    assert links.loc["成都市蓉城小学（芙蓉校区）", ["table_name", "reason"]].tolist() == ["蓉城小学", R_CAMPUS]
    assert links.loc["成都市蓉城小学", "table_name"] == "蓉城小学"
    # A listed campus the table has is linked to it, not to the main school.
    own = link_schools(["成都市建设路小学（东区）"], osm_schools)
    assert own["table_name"].tolist() == ["成都市建设路小学东区"]


def test_two_listed_schools_never_share_one_table_school(osm_schools):
    links = link_schools(["成都市成华实验小学校", "成都市成华小学校"], osm_schools).set_index("name")
    assert links.loc["成都市成华小学校", "table_name"] == "成都市成华小学"
    assert (links.loc["成都市成华实验小学校", "index"], links.loc["成都市成华实验小学校", "reason"]) == (-1, R_TAKEN)
    # ... unless they are one school: 人北小学 and its 西区 both link to the table's 人北实验小学.
    one = link_schools(["人北小学", "成都市人北小学(西区)"], osm_schools)
    assert one["table_name"].tolist() == ["成都市人北实验小学"] * 2
    # match_schools (used to assign edges) links the same way.
    m = match_schools(["成都市成华实验小学校", "成都市成华小学校", "无名小学"], osm_schools)
    assert (m["index"] >= 0).tolist() == [False, True, False]


def test_real_lists_link_every_school_the_osm_file_has(osm_schools):
    linked = {}
    for district in ("锦江", "成华", "金牛", "武侯"):
        z = read_zone_file(require_shared(ZONES / f"2025_{district}区_小学划片.md"))
        listed = [str(s) for s in dict.fromkeys(z.entries["school"])]
        links = link_schools(listed, osm_schools)
        assert links["index"].max() < len(osm_schools)
        used = links.loc[links["index"] >= 0, "index"]
        assert used.duplicated().sum() == 0 or district == "成华", district  # 成华: 建设路小学 and its 枫林 campus
        linked[district] = dict(zip(links.loc[links["index"] >= 0, "name"], links.loc[links["index"] >= 0, "table_name"],
                                    strict=True))
    assert linked["成华"] == {"成都市成华小学校": "成都市成华小学", "成都市建设路小学": "成都市建设路小学",
                              "成都双语实验学校": "成都双语实验学校", "成都市列五书池学校": "列五书池学校",
                              "成都市培华小学校": "培华小学", "成都市建设路小学（枫林）": "成都市建设路小学",
                              "成都市北新实验小学": "成都市北新实验小学"}
    assert linked["金牛"] == {"成都市马鞍小学校": "马鞍小学", "成都市沙湾路小学校": "沙湾路小学",
                              "成都市北站小学校": "北站小学", "成都市荷花池小学校": "荷花池小学"}
    assert linked["锦江"] == {} and linked["武侯"] == {}  # none of their schools is named in the extract
    assert np.isin(list(linked["成华"].values()), osm_schools).all()
