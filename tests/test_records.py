import json

import pytest

from gajax.records import RecordError, ResumableWriter, content_id, read_jsonl, write_jsonl


def test_bad_lines_name_file_and_line(tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text('{"id": "a", "prompt": "x"}\n\n{"id": "b", "prompt": \n')
    records = read_jsonl(f, {"id": str, "prompt": str})
    assert next(records)["id"] == "a"
    with pytest.raises(RecordError, match=r"in\.jsonl:3: not valid JSON"):
        next(records)


@pytest.mark.parametrize(
    ("line", "needle"),
    [('{"prompt": "x"}', "missing field 'id'"), ('{"id": 3, "prompt": "x"}', "'id' must be str"), ("[1]", "object")],
)
def test_schema_errors(tmp_path, line, needle):
    f = tmp_path / "in.jsonl"
    f.write_text(line + "\n")
    with pytest.raises(RecordError, match=needle):
        list(read_jsonl(f, {"id": str, "prompt": str}))


def test_missing_file(tmp_path):
    with pytest.raises(RecordError, match="no such file"):
        list(read_jsonl(tmp_path / "nope.jsonl"))


def test_resumable_writer_repairs_a_killed_write(tmp_path):
    f = tmp_path / "out.jsonl"
    with ResumableWriter(f, "id") as w:
        for i in range(3):
            w.write({"id": f"r{i}", "v": i})
    # A kill in the middle of the fourth line leaves an unterminated fragment.
    with f.open("a") as h:
        h.write('{"id": "r3", "v"')
    with ResumableWriter(f, "id") as w:
        assert "r1" in w and "r3" not in w
        for i in range(5):
            w.write({"id": f"r{i}", "v": i})
    ids = [json.loads(line)["id"] for line in f.read_text().splitlines()]
    assert ids == [f"r{i}" for i in range(5)]


def test_write_jsonl_is_atomic_and_ids_are_stable(tmp_path):
    f = tmp_path / "sub" / "x.jsonl"
    assert write_jsonl(f, [{"a": 1}, {"a": 2}]) == 2
    assert [r["a"] for r in read_jsonl(f)] == [1, 2]
    assert not list(f.parent.glob(".*tmp*"))
    assert content_id("Title", "text") == content_id("Title", "text") != content_id("Titletext")


def test_read_keyed_validates_ids(tmp_path):
    from gajax.records import read_keyed

    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "prompt": "x"}\n\n{"prompt": "y"}\n{"id": 7, "prompt": "z"}\n')
    assert [(line, r["id"]) for line, r in read_keyed(path, {"prompt": str}, default_key=True)] == [
        (1, "a"), (3, "1"), (4, 7)]
    with pytest.raises(RecordError, match=r"in\.jsonl:3: missing field 'id'"):
        read_keyed(path, {"prompt": str})
    path.write_text('{"id": "x", "prompt": "x"}\n{"id": true, "prompt": "y"}\n')
    with pytest.raises(RecordError, match=r"in\.jsonl:2: field 'id' must be a string or integer, got bool"):
        read_keyed(path, {"prompt": str})
