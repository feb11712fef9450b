"""Raw readers: every format to a text table, encodings and separators detected, no row lost."""

from __future__ import annotations

import codecs
import datetime as dt
import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon

from hotspots.errors import InputError
from hotspots.readers import EXTRA_FIELDS, decode, read_table, sniff_separator

ROWS = [
    ["1", "43,297100", "68,250300", "19.07.2017 13:45", "Кража"],
    ["2", "43,300000", "68,260000", "20.07.2017 08:00", "Драка"],
]


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_comma_csv_keeps_text_exactly(tmp_path: Path) -> None:
    p = _write(tmp_path / "a.csv", "id,lat,lon,note\n007,41.5,-87.6,NA\n008,1e5,,\n")
    t = read_table(p)
    assert t.headers == ["id", "lat", "lon", "note"]
    assert t.frame.to_dict("list") == {
        "id": ["007", "008"],  # no integer coercion
        "lat": ["41.5", "1e5"],
        "lon": ["-87.6", ""],
        "note": ["NA", ""],  # "NA" stays text; interpretation is validation's job
    }
    assert t.sep == "," and t.encoding == "utf-8"
    assert not t.malformed.any()


@pytest.mark.parametrize(("sep", "name"), [(";", "semi"), ("\t", "tab"), ("|", "pipe")])
def test_separators_are_sniffed(tmp_path: Path, sep: str, name: str) -> None:
    text = sep.join(["id", "lat", "lon", "date", "type"]) + "\n"
    text += "".join(sep.join(r) + "\n" for r in ROWS)
    t = read_table(_write(tmp_path / f"{name}.csv", text))
    assert t.sep == sep
    assert t.frame["lat"].tolist() == ["43,297100", "43,300000"]  # decimal commas kept as text
    assert t.frame["type"].tolist() == ["Кража", "Драка"]


def test_explicit_tab_separator_word(tmp_path: Path) -> None:
    p = _write(tmp_path / "x.txt", "a\tb\n1,5\t2\n")
    assert read_table(p, sep="tab").frame.to_dict("list") == {"a": ["1,5"], "b": ["2"]}
    with pytest.raises(InputError, match="--sep"):
        read_table(p, sep=";;")


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1251", "cp1251"), ("utf-16", "utf-16")],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    text = "Широта;Долгота;Вид\n43,3;68,25;Хулиганство\n43,31;68,26;Ұрлық-кража\n"
    if encoding == "cp1251":  # cp1251 has no Kazakh letters: Russian only
        text = text.replace("Ұрлық-кража", "Кража")
    t = read_table(_write(tmp_path / "ru.csv", text, encoding))
    assert t.encoding == expected
    assert t.headers == ["Широта", "Долгота", "Вид"]  # BOM stripped from the first header
    assert t.frame["Вид"].iloc[0] == "Хулиганство"


def test_wrong_explicit_encoding_is_one_line(tmp_path: Path) -> None:
    p = _write(tmp_path / "ru.csv", "a,b\nКража,1\n", "utf-8")
    with pytest.raises(InputError) as err:
        read_table(p, encoding="ascii")
    assert "--encoding" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError, match="unknown encoding"):
        read_table(p, encoding="klingon")


def test_decode_prefers_utf8_then_cp1251() -> None:
    assert decode("Кража".encode(), "x") == ("Кража", "utf-8")
    assert decode(codecs.BOM_UTF8 + "Кража".encode(), "x") == ("Кража", "utf-8-sig")
    assert decode("Кража".encode("cp1251"), "x") == ("Кража", "cp1251")


def test_rows_with_extra_fields_are_flagged_not_dropped(tmp_path: Path) -> None:
    p = _write(tmp_path / "ragged.csv", "a,b\n1,2\n3,4,5,6\n7\n\n8,9\n")
    t = read_table(p)
    assert t.frame[["a", "b"]].to_dict("list") == {
        "a": ["1", "3", "7", "8"],
        "b": ["2", "4", "", "9"],
    }
    assert t.malformed.tolist() == [False, True, False, False]
    assert t.frame[EXTRA_FIELDS].tolist() == ["", "5,6", "", ""]
    assert t.headers == ["a", "b"]


def test_every_row_longer_than_the_header_is_flagged(tmp_path: Path) -> None:
    # pandas would silently shift the first column into the index or drop the last field
    p = _write(tmp_path / "shifted.csv", "a,b\n1,2,x\n3,4,y\n")
    t = read_table(p)
    assert t.malformed.tolist() == [True, True]
    assert t.frame["a"].tolist() == ["1", "3"]


def test_short_rows_are_padded_and_blank_lines_skipped(tmp_path: Path) -> None:
    p = _write(tmp_path / "short.csv", "a,b,c\n1,2,3\n\n4\n")
    t = read_table(p)
    assert t.frame.to_dict("list") == {"a": ["1", "4"], "b": ["2", ""], "c": ["3", ""]}
    assert not t.malformed.any()


def test_blank_and_duplicate_headers(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path / "h.csv", ",x,x,\n1,2,3,4\n"))
    assert t.headers == ["Unnamed: 0", "x", "x.1", "Unnamed: 3"]


def test_quoted_fields_with_separators_and_newlines(tmp_path: Path) -> None:
    p = _write(tmp_path / "q.csv", 'id,name\n1,"Кафе ""Жібек жолы"", центр"\n2,"two\nlines"\n')
    t = read_table(p)
    assert t.frame["name"].tolist() == ['Кафе "Жібек жолы", центр', "two\nlines"]


@pytest.mark.parametrize(
    ("content", "match"),
    [("", "empty"), ("   \n\n", "empty"), ("lat,lon\n", "no data rows")],
)
def test_empty_inputs(tmp_path: Path, content: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        read_table(_write(tmp_path / "e.csv", content))


def test_missing_and_unsupported_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="unsupported file type '.docx'"):
        read_table(_write(tmp_path / "a.docx", "x"))
    with pytest.raises(InputError, match="folder"):
        read_table(tmp_path)


def test_stream_with_a_name(tmp_path: Path) -> None:
    buf = io.BytesIO("lat;lon\n43,3;68,2\n".encode("cp1251"))
    buf.name = "upload.csv"
    t = read_table(buf)
    assert t.source == "upload.csv" and t.sep == ";"
    assert t.frame.to_dict("list") == {"lat": ["43,3"], "lon": ["68,2"]}


@pytest.mark.parametrize(
    ("text", "sep"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2,5;3\n", ";"),  # decimal commas do not fool it
        ("a\tb\n1,5\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("single\n1\n", ","),
        ('"x;y",b,c\n1,2,3\n', ","),  # a quoted separator in the header
    ],
)
def test_sniff_separator(text: str, sep: str) -> None:
    assert sniff_separator(text) == sep


# Excel -----------------------------------------------------------------------------------
def test_xlsx_cells_become_text(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "Широта", "Долгота", "Дата", "День", "Вид"])
    ws.append(
        [1, 43.2971, 68.2503, dt.datetime(2019, 7, 19, 13, 45), dt.datetime(2019, 7, 19), "Кража"]
    )
    ws.append([2, 43.3, 68.26, dt.datetime(2020, 1, 2, 0, 0), dt.datetime(2020, 1, 2), None])
    ws.append([None] * 6)  # a blank row is skipped like a blank CSV line
    ws.append([3, "43,31", "68,27", "20.07.2017 08:00", dt.datetime(2021, 3, 4), "Драка"])
    p = tmp_path / "calls.xlsx"
    wb.save(p)
    t = read_table(p)
    assert t.headers == ["id", "Широта", "Долгота", "Дата", "День", "Вид"]
    assert t.frame.to_dict("list") == {
        "id": ["1", "2", "3"],  # whole numbers without ".0"
        "Широта": ["43.2971", "43.3", "43,31"],
        "Долгота": ["68.2503", "68.26", "68,27"],
        "Дата": ["2019-07-19 13:45:00", "2020-01-02 00:00:00", "20.07.2017 08:00"],
        "День": ["2019-07-19", "2020-01-02", "2021-03-04"],  # all midnight: a date column
        "Вид": ["Кража", "", "Драка"],
    }


def test_xlsx_title_lines_above_the_header_are_not_data(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Отчёт о происшествиях за 2020 год"])  # a title, one cell
    ws.merge_cells("A1:D1")
    ws.append([])
    ws.append(["Дата", "Вид", "Широта", "Долгота"])
    ws.append(["01.02.2020 10:00", "Кража", 43.30, 68.25])
    ws.append(["02.02.2020 11:00", "Драка", 43.31, 68.26])
    p = tmp_path / "report.xlsx"
    wb.save(p)
    t = read_table(p)
    assert t.headers == ["Дата", "Вид", "Широта", "Долгота"]
    assert t.frame["Вид"].tolist() == ["Кража", "Драка"] and len(t.frame) == 2


def test_xlsx_sheets_with_the_same_columns_are_all_read(tmp_path: Path) -> None:
    # one sheet per year, as exports are often kept: reading the first alone lost 2020-2021
    p = tmp_path / "years.xlsx"
    with pd.ExcelWriter(p) as w:
        for year, n in ((2019, 2), (2020, 3), (2021, 1)):
            pd.DataFrame(
                {"date": [f"{year}-01-{d + 1:02d}" for d in range(n)], "lat": 43.3, "lon": 68.2}
            ).to_excel(w, sheet_name=str(year), index=False)
    t = read_table(p)
    assert t.frame["date"].tolist() == [
        "2019-01-01",
        "2019-01-02",
        "2020-01-01",
        "2020-01-02",
        "2020-01-03",
        "2021-01-01",
    ]


def test_xlsx_data_on_a_later_sheet_is_found(tmp_path: Path) -> None:
    p = tmp_path / "book.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"see the next sheet": []}).to_excel(w, sheet_name="Справка", index=False)
        pd.DataFrame({"lat": [43.3], "lon": [68.2]}).to_excel(w, sheet_name="data", index=False)
    assert read_table(p).frame.to_dict("list") == {"lat": ["43.3"], "lon": ["68.2"]}


def test_xlsx_sheets_with_different_columns_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "summary.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"lat": [43.3], "lon": [68.2]}).to_excel(w, sheet_name="calls", index=False)
        pd.DataFrame({"year": [2019], "total": [1]}).to_excel(w, sheet_name="Итого", index=False)
    with pytest.raises(InputError) as err:
        read_table(p)
    assert str(err.value) == (
        "summary.xlsx has data rows on sheets 'calls', 'Итого' with different columns; keep "
        "the calls on one sheet (or on sheets with the same columns) or save the sheet as CSV"
    )


def test_corrupt_xlsx(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Excel"):
        read_table(_write(tmp_path / "bad.xlsx", "not a zip"))


# Spatial ---------------------------------------------------------------------------------
def _points_gdf(crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [10, 11, 12, 13], "type": ["Кража", "ДТП", "Драка", "x"], "n": [1.0, 2.5, None, 4]},
        geometry=[Point(68.25, 43.3), Point(68.26, 43.31), None, Polygon([(0, 0), (1, 0), (1, 1)])],
        crs=crs,
    )


def test_geojson_points(tmp_path: Path) -> None:
    p = tmp_path / "calls.geojson"
    _points_gdf().to_file(p, driver="GeoJSON")
    t = read_table(p)
    f = t.frame
    assert f["geometry_lon"].tolist() == ["68.25", "68.26", "", "Polygon"]
    assert f["geometry_lat"].tolist() == ["43.3", "43.31", "", "Polygon"]
    assert f["id"].tolist() == ["10", "11", "12", "13"]
    assert f["n"].tolist() == ["1", "2.5", "", "4"]
    assert f["type"].tolist() == ["Кража", "ДТП", "Драка", "x"]
    assert t.geometry_crs is not None


def test_gpkg_in_utm_is_converted_to_lonlat(tmp_path: Path) -> None:
    # the UTM point of Vancouver's first row, converted independently with pyproj
    x, y = 491059.4824, 5459122.4178
    gdf = gpd.GeoDataFrame({"kind": ["bar"]}, geometry=[Point(x, y)], crs="EPSG:32610")
    p = tmp_path / "v.gpkg"
    gdf.to_file(p, driver="GPKG")
    t = read_table(p)
    lon, lat = Transformer.from_crs("EPSG:32610", "EPSG:4326", always_xy=True).transform(x, y)
    assert float(t.frame["geometry_lon"].iloc[0]) == pytest.approx(lon, abs=1e-9)
    assert float(t.frame["geometry_lat"].iloc[0]) == pytest.approx(lat, abs=1e-9)


def test_geoparquet_and_plain_parquet(tmp_path: Path) -> None:
    gdf = _points_gdf().iloc[:2].set_index(pd.Index([100, 200]))  # an index must not misalign
    p = tmp_path / "calls.parquet"
    gdf.to_parquet(p)
    t = read_table(p)
    assert t.frame["geometry_lon"].tolist() == ["68.25", "68.26"]
    assert t.frame["id"].tolist() == ["10", "11"]
    plain = tmp_path / "plain.parquet"
    pd.DataFrame({"lat": [43.3, np.nan], "lon": [68.2, 68.3]}).to_parquet(plain)
    assert read_table(plain).frame.to_dict("list") == {"lat": ["43.3", ""], "lon": ["68.2", "68.3"]}


def test_spatial_file_without_crs_gives_raw_xy(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(491059.5, 5459122.5)], crs=None)
    p = tmp_path / "nocrs.gpkg"  # GeoJSON implies WGS84; a GPKG can have no CRS
    with pytest.warns(UserWarning, match="crs"):
        gdf.to_file(p, driver="GPKG")
    t = read_table(p)
    assert t.geometry_crs is None
    assert t.frame[["geometry_x", "geometry_y"]].iloc[0].tolist() == ["491059.5", "5459122.5"]


def test_line_geometry_is_named(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[LineString([(0, 0), (1, 1)])], crs="EPSG:4326")
    p = tmp_path / "line.geojson"
    gdf.to_file(p, driver="GeoJSON")
    assert read_table(p).frame["geometry_lat"].tolist() == ["LineString"]


def test_unreadable_geojson(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_table(_write(tmp_path / "bad.geojson", "{not json"))
    assert "bad.geojson" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("text", "bad_row", "extra_row"),
    [
        # an address with an opening quote: the rest of the file would be one value
        (
            'id,block,lat,lon\n1,"12 MAIN ST,43.30,68.25\n2,OAK,43.31,68.26\n'
            "3,PINE,43.32,68.27\n",
            1,
            None,
        ),
        # the same after a row with an extra field
        (
            'id,block,lat,lon\n1,OAK,43.30,68.25,x\n2,"12 MAIN,43.31,68.26\n'
            "3,PINE,43.32,68.27\n",
            2,
            1,
        ),
        # two stray quotes: the lines between them would merge into one value
        ('id,block,lat,lon\n1,"OAK,43.30,68.25\n2,ELM,43.31,68.26\n3,ASH,43.32,68.27\n'
         '4,PINE",43.33,68.28\n', 1, None),
    ],
)
def test_a_stray_quote_rejects_its_line_and_keeps_the_rest(
    tmp_path: Path, text: str, bad_row: int, extra_row: int | None
) -> None:
    t = read_table(_write(tmp_path / "calls.csv", text))
    records = text.count("\n") - 1  # one record per line after the header
    assert len(t.frame) == records
    expected = {bad_row} | ({extra_row} if extra_row else set())
    assert set(np.flatnonzero(t.malformed) + 1) == expected
    ids = t.frame["id"].tolist()
    assert ids == [str(i) for i in range(1, records + 1)]


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ('id,block,lat,lon\n1,12" MAIN ST,43.30,68.25\n2,OAK,43.31,68.26\n', 2),  # inches
        ('id,desc,lat,lon\n1,"line one\nline two",43.3,68.25\n2,x,43.31,68.26\n', 2),
        ('id,desc,lat,lon\n1,"say ""hi""",43.3,68.25\n', 1),  # escaped quotes
    ],
)
def test_quotes_that_are_fine_still_read(tmp_path: Path, text: str, rows: int) -> None:
    assert len(read_table(_write(tmp_path / "calls.csv", text)).frame) == rows
