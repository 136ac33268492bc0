"""CSV import: a preview lists each rejected row and why; commit lands the valid ones; big files go
through an RQ job with progress."""
from __future__ import annotations

import io

from tests.integration.web_support import as_role, make_user, web  # noqa: F401

CSV = "number,reason,category\n+375291234567,threats,intimidation\nnot a number,x,y\n+375447654321,spam calls,spam\n+3751720012*,exchange,intimidation\n123,short,x\n"


def _upload(user, text: str, name: str = "list.csv"):
    token = user.token("/blocklist/import")
    return user.client.post("/blocklist/import", data={"csrf_token": token, "region": "", "source": "",
                                                       "file": (io.BytesIO(text.encode()), name)},
                            content_type="multipart/form-data")


def test_a_file_that_is_not_utf8_says_how_to_save_it(as_role, svc):
    curator = as_role("curator")
    token = curator.token("/blocklist/import")
    response = curator.client.post("/blocklist/import", data={
        "csrf_token": token, "region": "", "source": "",
        "file": (io.BytesIO("number,reason\n+375291234567,угрозы\n".encode("cp1251")), "list.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "save it from your spreadsheet as &#34;CSV UTF-8&#34;" in response.get_data(as_text=True)
    assert svc.blocklist.count() == 0


def test_rejected_rows_say_why_in_the_readers_language(as_role, svc):
    curator = as_role("curator")
    curator.post("/account/language", {"locale": "ru"})
    response = _upload(curator, "number\ncall me maybe\n+375 29 1\n")
    html = curator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Это не номер телефона." in html and "Такого номера в этой стране нет." in html
    assert "Not a phone number" not in html


def test_upload_shows_a_preview_with_each_rejected_row(as_role, svc):
    curator = as_role("curator")
    response = _upload(curator, CSV)
    assert response.status_code == 302
    html = curator.get(response.headers["Location"]).get_data(as_text=True)
    assert "not a number" in html and "123" in html and "Add 3 valid rows" in html
    assert svc.blocklist.count() == 0  # nothing lands before commit


def test_commit_lands_all_valid_rows_and_records_it(as_role, svc):
    curator = as_role("curator")
    status_url = _upload(curator, CSV).headers["Location"]
    response = curator.post(status_url + "/commit", token_from=status_url)
    assert response.status_code == 302
    assert svc.blocklist.count() == 3
    assert svc.blocklist.get("+375447654321").meta.category == "spam"
    last = svc.audit.entries()[-1]
    assert last["action"] == "blocklist.import" and last["after"]["added"] == 3 and last["after"]["rejected"] == 2


def test_commit_twice_adds_once(as_role, svc):
    curator = as_role("curator")
    status_url = _upload(curator, CSV).headers["Location"]
    curator.post(status_url + "/commit", token_from=status_url)
    curator.post(status_url + "/commit", token_from=status_url)
    assert [e["action"] for e in svc.audit.entries()].count("blocklist.import") == 1


def test_another_curator_cannot_see_my_import(as_role):
    mine = as_role("curator")
    status_url = _upload(mine, CSV).headers["Location"]
    other = as_role("curator", "other")
    assert other.get(status_url).status_code == 404


def test_viewer_cannot_import(as_role):
    viewer = as_role("viewer")
    assert viewer.get("/blocklist/import").status_code == 403


def test_a_large_file_is_parsed_and_committed_by_the_worker(as_role, svc, run_worker):
    rows = "".join(f"+3752912{i:05d},bulk,spam\n" for i in range(30_000))
    curator = as_role("curator")
    status_url = _upload(curator, "number,reason,category\n" + rows + "oops,x,y\n").headers["Location"]
    assert "Checking the file" in curator.get(status_url).get_data(as_text=True)
    run_worker()
    html = curator.get(status_url).get_data(as_text=True)
    assert "Add 30000 valid rows" in html and "oops" in html
    curator.post(status_url + "/commit", token_from=status_url)
    run_worker()
    assert svc.blocklist.count() == 30_000
    assert "30000 entries were added" in curator.get(status_url).get_data(as_text=True)
