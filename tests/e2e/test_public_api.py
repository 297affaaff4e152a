"""The public GeoReport v2 API on its real listener (aiohttp on loopback), read as a GeoReport
client reads it: every field checked against the spec, no personal data, errors in the spec's
shape."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pytest

from bot.bootstrap import App, build_app
from bot.publicapi.georeport import REQUEST_FIELDS, SERVICE_FIELDS
from tests.conftest import Harness
from tests.e2e.serving import public_api
from tests.fakes import FakeClock, KeywordClassifier
from tests.peers.mail_fixtures import free_port

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def world(settings, database_url, clock: FakeClock) -> Iterator[tuple[App, Harness, str, dict]]:  # type: ignore[no-untyped-def]
    public = settings.public_api.model_copy(update={"enabled": True, "port": free_port()})
    app = build_app(
        settings.model_copy(update={"public_api": public}),
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        harness = Harness(app)
        harness.say("anna", photo=PNG)
        dumped = harness.report(
            "anna",
            "Sperrmüll am Adalbertsteinweg 12, rufen Sie mich an: 0241 123456 "
            "oder schreiben an anna.m@example.org",
        )
        clock.advance(hours=1)
        pothole = harness.report("ben", "Schlagloch in der Jülicher Straße 5")
        harness.say("schmitz", f"/notiz {pothole} intern: Anwohner ruft täglich an", staff=True)
        harness.say("schmitz", f"/status {pothole} fixed Loch verfüllt", staff=True)
        clock.advance(hours=1)
        hidden = harness.report("carla", "Laterne kaputt am Adalbertsteinweg 3, Idioten!")
        harness.say("admin", f"/verbergen {hidden} Beleidigung", staff=True)
        harness.say("carla", photo=PNG)  # a photo for the hidden concern: never public
        with public_api(app) as base:
            yield (
                app,
                harness,
                base + "/open311/v2",
                {
                    "dumped": dumped,
                    "pothole": pothole,
                    "hidden": hidden,
                },
            )
    finally:
        app.close()


def get(url: str, **params: str) -> httpx.Response:
    return httpx.get(url, params=params, timeout=10)


def by_id(rows: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {row["service_request_id"]: row for row in rows}


def test_services_are_the_categories_with_the_spec_fields(world) -> None:  # type: ignore[no-untyped-def]
    app, _harness, api, _tickets = world
    response = get(api + "/services.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    services = response.json()
    assert {s["service_code"] for s in services} == set(app.services.categories)
    for service in services:
        assert tuple(service) == SERVICE_FIELDS
        assert service["metadata"] is False and service["type"] == "realtime"
    names = {s["service_code"]: s["service_name"] for s in services}
    assert names["road_damage"] == app.services.category_name("road_damage", "de")
    root = ET.fromstring(get(api + "/services.xml").content)
    assert root.tag == "services" and len(root) == len(services)
    assert [child.tag for child in root[0]] == list(SERVICE_FIELDS)


def test_requests_carry_every_spec_field_and_no_personal_data(world) -> None:  # type: ignore[no-untyped-def]
    app, harness, api, tickets = world
    response = get(api + "/requests.json")
    assert response.status_code == 200
    rows = by_id(response.json())
    assert set(rows) == {tickets["dumped"], tickets["pothole"]}  # the hidden one is left out
    for row in rows.values():
        assert tuple(row) == REQUEST_FIELDS
        assert W3C.match(row["requested_datetime"]) and W3C.match(row["updated_datetime"])
    dumped = rows[tickets["dumped"]]
    assert dumped["status"] == "open" and dumped["status_notes"] is None
    assert dumped["service_code"] == "illegal_dumping"
    assert dumped["service_name"] == app.services.category_name("illegal_dumping", "de")
    assert dumped["agency_responsible"] == "Aachener Stadtbetrieb – Abfallwirtschaft"
    assert dumped["requested_datetime"] == "2026-11-24T10:00:00Z"
    assert dumped["address"] == "Adalbertsteinweg 12"
    assert dumped["lat"] is None and dumped["long"] is None
    assert dumped["description"] == (
        "Sperrmüll am Adalbertsteinweg 12, rufen Sie mich an: [Telefonnummer entfernt] "
        "oder schreiben an [E-Mail-Adresse entfernt]"
    )
    pothole = rows[tickets["pothole"]]
    assert pothole["status"] == "closed" and pothole["status_notes"] == "Loch verfüllt"
    assert pothole["service_code"] == "road_damage" and pothole["media_url"] is None
    assert pothole["agency_responsible"] == "Aachener Stadtbetrieb – Straßenunterhaltung"
    body = response.text
    assert "intern" not in body and "ruft täglich" not in body  # staff notes stay inside
    assert not re.search(r"R-[A-Z2-9]{6}", body)  # no pseudonyms
    assert "resident:" not in body and "staff:" not in body and "schmitz" not in body
    assert "0241" not in body and "example.org" not in body
    assert harness.app is app


def test_media_url_serves_the_photo_and_hidden_photos_stay_hidden(world) -> None:  # type: ignore[no-untyped-def]
    _app, _harness, api, tickets = world
    dumped = by_id(get(api + "/requests.json").json())[tickets["dumped"]]
    base = api.removesuffix("/open311/v2")
    assert dumped["media_url"].startswith(base + "/photos/")
    token = dumped["media_url"].rsplit("/", 1)[1].split(".")[0]
    assert len(token) >= 32  # unguessable
    photo = httpx.get(dumped["media_url"], timeout=10)
    assert photo.status_code == 200 and photo.content == PNG
    assert photo.headers["Content-Type"] == "image/png"
    assert httpx.get(base + "/photos/" + "A" * 32 + ".png", timeout=10).status_code == 404
    single = get(api + f"/requests/{tickets['hidden']}.json")
    assert single.status_code == 404 and single.json()[0]["code"] == 404


def test_filters_of_the_spec(world) -> None:  # type: ignore[no-untyped-def]
    _app, _harness, api, tickets = world
    dumped, pothole = tickets["dumped"], tickets["pothole"]

    def ids(**params: str) -> set[str]:
        response = get(api + "/requests.json", **params)
        assert response.status_code == 200, response.text
        return {row["service_request_id"] for row in response.json()}

    assert ids(status="open") == {dumped}
    assert ids(status="closed") == {pothole}
    assert ids(status="open,closed") == {dumped, pothole}
    assert ids(service_code="road_damage") == {pothole}
    assert ids(service_code="road_damage,illegal_dumping") == {dumped, pothole}
    assert ids(service_request_id=f"{dumped},{pothole}") == {dumped, pothole}
    assert ids(service_request_id=tickets["hidden"]) == set()
    assert ids(start_date="2026-11-24T10:30:00Z") == {pothole}
    assert ids(end_date="2026-11-24T10:30:00+00:00") == {dumped}
    assert ids(start_date="2026-11-24T11:00:00+01:00", end_date="2026-11-24T10:30:00Z") == {dumped}
    assert ids(start_date="2027-01-01T00:00:00Z") == set()
    first, second = ids(page_size="1"), ids(page_size="1", page="2")
    assert first == {pothole} and second == {dumped}  # newest first, one page at a time
    single = get(api + f"/requests/{dumped}.json").json()
    assert [row["service_request_id"] for row in single] == [dumped]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"status": "pending"}, "status"),
        ({"service_code": "nope"}, "service_code"),
        ({"start_date": "gestern"}, "start_date"),
        ({"end_date": "2026-11-24T10:00:00"}, "time zone"),
        ({"start_date": "2026-12-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}, "after"),
        ({"page_size": "5000"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"service_request_id": "XY-2026-00001"}, "service_request_id"),
        ({"service_request_id": "';DROP TABLE concern;--"}, "service_request_id"),
        ({"foo": "bar"}, "foo"),
    ],
)
def test_bad_parameters_answer_400_in_the_spec_error_shape(world, params, words) -> None:  # type: ignore[no-untyped-def]
    _app, _harness, api, _tickets = world
    response = get(api + "/requests.json", **params)
    assert response.status_code == 400
    errors = response.json()
    assert isinstance(errors, list) and len(errors) == 1
    assert set(errors[0]) == {"code", "description"} and errors[0]["code"] == 400
    assert words in errors[0]["description"]
    xml = get(api + "/requests.xml", **params)
    assert xml.status_code == 400
    root = ET.fromstring(xml.content)
    assert root.tag == "errors" and root[0].tag == "error"
    assert root[0].find("code").text == "400"  # type: ignore[union-attr]


def test_requests_as_xml_have_the_spec_elements(world) -> None:  # type: ignore[no-untyped-def]
    _app, _harness, api, tickets = world
    response = get(api + "/requests.xml")
    assert response.status_code == 200 and "xml" in response.headers["Content-Type"]
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    requests = {r.findtext("service_request_id"): r for r in root.findall("request")}
    assert set(requests) == {tickets["dumped"], tickets["pothole"]}
    pothole = requests[tickets["pothole"]]
    assert [child.tag for child in pothole] == list(REQUEST_FIELDS)
    assert pothole.findtext("status") == "closed"
    assert pothole.findtext("status_notes") == "Loch verfüllt"
    single = ET.fromstring(get(api + f"/requests/{tickets['pothole']}.xml").content)
    assert single.tag == "service_requests" and len(single) == 1


def test_unknown_paths_and_formats_answer_in_the_error_shape(world) -> None:  # type: ignore[no-untyped-def]
    _app, _harness, api, _tickets = world
    assert get(api + "/requests.csv").status_code == 404
    missing = get(api + "/requests/AC-2026-99999.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    assert get(api + "/requests/%00.json").status_code == 400


def test_another_jurisdiction_is_not_found(settings, database_url, clock) -> None:  # type: ignore[no-untyped-def]
    public = settings.public_api.model_copy(
        update={"enabled": True, "port": free_port(), "jurisdiction_id": "aachen.de"}
    )
    app = build_app(
        settings.model_copy(update={"public_api": public}),
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        with public_api(app) as base:
            api = base + "/open311/v2"
            assert get(api + "/services.json", jurisdiction_id="aachen.de").status_code == 200
            assert get(api + "/requests.json").status_code == 200  # optional parameter
            other = get(api + "/requests.json", jurisdiction_id="koeln.de")
            assert other.status_code == 404 and other.json()[0]["code"] == 404
    finally:
        app.close()
