"""The JSON API under api/v1/: vendors.json, vendors/<id>.json, events.json, the record schema, openapi.json.

Output is deterministic (sorted keys, no build timestamps) so that diffs between builds are meaningful,
and `<`, `>`, `&` are written as \\u escapes so the files stay inert even if embedded in a page.
"""

from __future__ import annotations

import heapq
import itertools
import json

from scripts.analysis.derive import toggle_state
from scripts.records import load as records

API = "api/v1/"
INCIDENTS_PAGE = "incidents/"  # the site's page of incidents without a vendor record (site/incident_pages)


# Compact: with `indent`, Python's json falls back to its pure-Python encoder (~10x slower), and the files are
# for programs (`python -m json.tool` or jq show them indented). One encoder for every call (json.dumps
# would make one per call: it is called for every event).
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def dumps(data) -> str:
    text = _ENCODER.encode(data)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def schema_id(site_url: str) -> str:
    return site_url.rstrip("/") + "/" + API + "schema/vendor.json"


def _links(site_url: str, vid: str) -> dict:
    base = site_url.rstrip("/") + "/"
    return {"page": f"{base}vendors/{vid}/", "json": f"{base}{API}vendors/{vid}.json",
            "feed": f"{base}vendors/{vid}/feed.xml"}


def _current_defaults(rec: dict) -> list[dict]:
    out = []
    for tg in rec.get("toggles", []):
        state = toggle_state(tg)
        out.append({"toggle": tg["id"], "conflict": state.conflict,
                    "current": [{"default": e["default"], "applies_to": e["applies_to"],
                                 "effective": e.get("effective")} for e in state.entries]})
    return out


def _quote_checks(info: dict, kind: str, item: str, base: str) -> list[dict]:
    out = []
    for _path, q in sorted(info.items()):
        if q["kind"] == kind and q["item"] == item:
            st = q["status"]
            out.append({"policy": q["policy"], "quote": q["quote"], "state": st.state, "since": st.since,
                        "change": f"{base}changes/{st.change_slug}" if st.change_slug else None})
    return out


def vendor_summary(rec: dict, rows: list[dict], site_url: str) -> dict:
    """A vendor's entry in vendors.json."""
    last = max((r["last_change"]["date"] for r in rows if r["last_change"]), default=None)
    return {
        "id": rec["id"], "name": rec["name"], "names": rec.get("names", {}), "website": rec.get("website"),
        "categories": rec.get("categories", []), "marketplaces": rec.get("marketplaces", []),
        "counts": {k: len(rec.get(k, [])) for k in ("claims", "incidents", "toggles", "policies", "sources", "access",
                                                    "reports", "observations")},
        "languages": rec.get("languages", []), "policy_search": rec.get("policy_search"),
        "current_defaults": _current_defaults(rec), "last_policy_change": last, "links": _links(site_url, rec["id"]),
    }


def vendor_file(rec: dict, events: list[dict], changes: list[dict], rows: list[dict], site_url: str,
                quote_info: dict | None = None) -> tuple[dict, str, str]:
    """One vendor's part of the API: (its summary for vendors.json, path, content of vendors/<id>.json).
    `events`: the vendor's events, sorted as in events.json; `changes`: its changes, newest first; `rows`: its
    watched documents (generate._doc_rows)."""
    base = site_url.rstrip("/") + "/"
    vid = rec["id"]
    summary = vendor_summary(rec, rows, site_url)
    by_doc: dict[str, list] = {}
    for c in reversed(changes):
        by_doc.setdefault(c["doc"], []).append(c)
    derived = {
        "current_defaults": summary["current_defaults"],
        "claims": [{"id": c["id"], "topic": c["topic"], "status": "ended" if c.get("ended") else "current",
                    "quote_checks": _quote_checks(quote_info or {}, "claim", c["id"], base)}
                   for c in rec.get("claims", [])],
        "policies": [{"id": r["id"], "url": r["url"], "state": r["state"], "last_checked": r["checked"],
                      "changes": [{"id": c["change"]["id"], "time": c["change"]["time"],
                                   "added": c["change"]["added"], "removed": c["change"]["removed"],
                                   # recorded but not announced (scrapers.variants): no event, no feed item
                                   "minor": bool(c["change"].get("minor")),
                                   "revisit": bool(c["change"].get("revisit")),
                                   "page": f"{base}changes/{c['slug']}"}
                                  for c in by_doc.get(r["id"], [])]}
                     for r in rows],
        "events": [e["id"] for e in events],
        "links": summary["links"],
    }
    return summary, f"{API}vendors/{vid}.json", dumps({"api_version": 1, "record": rec, "derived": derived})


def event_json(event: dict, site_url: str) -> str:
    """One event as an item of events.json (`dumps` of the whole file is these items joined)."""
    base = site_url.rstrip("/") + "/"
    item = {k: event.get(k) for k in ("id", "type", "vendor", "date", "date_text", "date_exact", "sort_date", "title",
                                      "summary", "excerpt")} | {"url": base + event["link"],
                                                                "kind": event.get("kind", "vendor")}
    return dumps(item)[:-1]


def event_run(events: list[dict], site_url: str) -> tuple[list[tuple], list[int], bytes]:
    """Events (sorted newest first, as events.sort_events does) as a run of events.json items for
    `merge_runs`: their sort keys, the end of each item in the UTF-8 text, and the text. One bytes object
    instead of an object per event: a build's worker sends its events this way."""
    items = [event_json(e, site_url).encode("utf-8") for e in events]
    ends = list(itertools.accumulate(map(len, items)))
    return [(e["sort_date"], e["id"]) for e in events], ends, b"".join(items)


def merge_runs(runs: list[tuple[list[tuple], list[int], bytes]]) -> list[memoryview]:
    """The items of several event runs (event_run), newest first, as views of their text."""
    def items(keys, ends, text):
        view = memoryview(text)
        return zip(keys, (view[a:b] for a, b in zip(itertools.chain((0,), ends), ends)))
    return [item for _key, item in heapq.merge(*(items(*run) for run in runs), key=lambda x: x[0], reverse=True)]


def index_files(summaries: list[dict], event_items: list, site_url: str) -> dict[str, str | bytes]:
    """The site-wide API files: vendors.json (from vendor_file's summaries), events.json (`event_items`: every
    event's event_json as UTF-8, newest first; the file is bytes), schema, OpenAPI."""
    files: dict[str, str | bytes] = {}
    files[f"{API}vendors.json"] = dumps({"api_version": 1, "vendors": summaries})
    files[f"{API}events.json"] = b'{"api_version":1,"events":[' + b",".join(event_items) + b"]}\n"
    schema = dict(records.schema())
    schema["$id"] = schema_id(site_url)
    files[f"{API}schema/vendor.json"] = dumps(schema)
    files[f"{API}openapi.json"] = dumps(openapi(site_url))
    return files


def api_entry(data: dict, site_url: str) -> dict:
    """An incident without a vendor record in the API's incidents.json: the file as validated, plus its kind
    and page."""
    base = site_url.rstrip("/") + "/"
    return {"id": data["id"], "kind": data["kind"], "vendor": None, "title": data["title"], "status": data["status"],
            "occurred": data.get("occurred"), "reported": data.get("reported"), "summary": data["summary"],
            "url": f"{base}{INCIDENTS_PAGE}#incident-{data['id']}", "record": data}


def vendor_api_entry(record: dict, inc: dict, site_url: str) -> dict:
    """A vendor's incident in incidents.json (its full text is in the vendor's own file)."""
    base = site_url.rstrip("/") + "/"
    return {"id": inc["id"], "kind": "vendor", "vendor": record["id"], "title": inc["title"], "status": inc["status"],
            "occurred": inc.get("occurred"), "reported": inc.get("reported"), "summary": inc["summary"],
            "url": f"{base}vendors/{record['id']}/#incident-{inc['id']}", "record": None}


def incidents_file(vendor_entries: list[dict], standalone: list[dict], site_url: str) -> dict[str, str]:
    """incidents.json: every incident, newest first by its own dates (undated ones last, by id), each with
    `kind`: vendor (the full text is in the vendor's file), ecosystem or platform (the full file is here)."""
    items = vendor_entries + [api_entry(x, site_url) for x in standalone]
    from scripts.analysis.derive import parse_date

    def when(x):  # a date without its year cannot be placed: after the dated ones
        d = parse_date(x.get("reported")) or parse_date(x.get("occurred"))
        low = d.lower() if d is not None else None
        return (low is not None, low.isoformat() if low else "")
    items.sort(key=lambda x: (x["kind"], x["vendor"] or "", x["id"]))
    items.sort(key=when, reverse=True)
    return {f"{API}incidents.json": dumps({"api_version": 1, "incidents": items})}


def _localized() -> dict:
    return {"type": "object", "required": ["en", "zh"], "additionalProperties": False,
            "properties": {"en": {"type": "string"}, "zh": {"type": "string"}}}


def openapi(site_url: str) -> dict:
    rec_ref = {"$ref": schema_id(site_url)}
    str_or_null = {"type": ["string", "null"]}
    defaults = {"type": "array", "items": {
        "type": "object", "required": ["toggle", "conflict", "current"], "additionalProperties": False,
        "properties": {"toggle": {"type": "string"}, "conflict": {"type": "boolean"},
                       "current": {"type": "array", "items": {
                           "type": "object", "required": ["default", "applies_to", "effective"],
                           "additionalProperties": False,
                           "properties": {"default": {"enum": ["on", "off"]}, "applies_to": {"type": "string"},
                                          "effective": str_or_null}}}}}}
    links = {"type": "object", "required": ["page", "json", "feed"], "additionalProperties": False,
             "properties": {k: {"type": "string", "format": "uri"} for k in ("page", "json", "feed")}}
    summary = {
        "type": "object", "additionalProperties": False,
        "required": ["id", "name", "names", "website", "categories", "marketplaces", "counts", "current_defaults",
                     "last_policy_change", "links", "languages", "policy_search"],
        "properties": {
            "id": {"type": "string"}, "name": {"type": "string"}, "names": {"type": "object"},
            "website": {"type": ["string", "null"], "description": "null when the sources do not give one"},
            "categories": {"type": "array", "items": {"type": "string"}},
            "marketplaces": {"type": "array", "items": {"type": "string"}},
            "counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
            "current_defaults": defaults, "last_policy_change": str_or_null, "links": links,
            "languages": {"type": "array", "items": {"type": "string"},
                          "description": "BCP 47 tags of the languages the vendor's own pages are published in"},
            "policy_search": {"oneOf": [{"type": "null"}, {"$ref": schema_id(site_url) + "#/$defs/policySearch"}],
                              "description": "Set when the vendor's own data policy was searched for and not found "
                                             "(found is always false); null otherwise. Never means 'has no policy'."}}}
    event = {
        "type": "object", "additionalProperties": False,
        "required": ["id", "type", "vendor", "kind", "date", "date_text", "date_exact", "sort_date", "title", "summary",
                     "url"],
        "properties": {
            "id": {"type": "string", "pattern": "^tag:"},
            "type": {"enum": ["vendor-added", "toggle-default", "incident-reported", "incident-status",
                              "vendor-responded", "policy-changed", "claim-removed", "claim-restored"]},
            "vendor": {"type": ["string", "null"], "description": "The vendor's id; null for an incident without a vendor record"},
            "kind": {"enum": ["vendor", "ecosystem", "platform"],
                     "description": "vendor: about a vendor with a record; ecosystem: an incident whose sources name no "
                                    "seller-tool vendor; platform: an incident on the marketplace's side"},
            "date": str_or_null, "date_text": _localized(),
            "date_exact": {"type": "boolean"}, "sort_date": {"type": "string", "format": "date"},
            "title": _localized(), "summary": _localized(), "excerpt": str_or_null,
            "url": {"type": "string", "format": "uri"}}}
    incident = {
        "type": "object", "additionalProperties": False,
        "required": ["id", "kind", "vendor", "title", "status", "occurred", "reported", "summary", "url", "record"],
        "properties": {
            "id": {"type": "string"},
            "kind": {"enum": ["vendor", "ecosystem", "platform"],
                     "description": "vendor: a vendor's incident (full text in vendors/{id}.json); ecosystem: the sources "
                                    "name no seller-tool vendor (\"ecosystem incident (vendor not named)\"); platform: an "
                                    "incident on the marketplace's side"},
            "vendor": {"type": ["string", "null"], "description": "The vendor's id, for kind vendor"},
            "title": {"$ref": schema_id(site_url) + "#/$defs/text"}, "status": {"type": "string"},
            "occurred": str_or_null, "reported": str_or_null,
            "summary": {"$ref": schema_id(site_url) + "#/$defs/text"}, "url": {"type": "string", "format": "uri"},
            "record": {"description": "For ecosystem and platform incidents: the incident file as validated "
                                      "(incidents/schema.json: its sources, evidence, statements, alleged_by); null for "
                                      "kind vendor", "type": ["object", "null"]}}}
    detail = {
        "type": "object", "required": ["api_version", "record", "derived"], "additionalProperties": False,
        "properties": {"api_version": {"const": 1}, "record": rec_ref, "derived": {
            "type": "object", "required": ["current_defaults", "claims", "policies", "events", "links"],
            "properties": {"current_defaults": defaults, "links": links,
                           "events": {"type": "array", "items": {"type": "string"}},
                           "claims": {"type": "array", "items": {
                               "type": "object", "required": ["id", "topic", "status", "quote_checks"],
                               "properties": {"quote_checks": {"type": "array", "items": {
                                   "type": "object", "required": ["policy", "quote", "state", "since", "change"],
                                   "properties": {"state": {"enum": ["found", "removed", "missing", "unchecked"]},
                                                  "since": str_or_null, "change": str_or_null}}}}}},
                           "policies": {"type": "array", "items": {"type": "object", "required": ["id", "url", "state", "changes"]}}}}}}
    def ok(schema_name, description):
        return {"200": {"description": description, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "ERP Watch data API", "version": "1",
                 "description": "Static JSON files describing seller-tool vendors' data practices, with sources. "
                                "Read-only; regenerated on every site build. Keys are sorted; '<', '>' and '&' are "
                                "\\u-escaped inside strings."},
        "servers": [{"url": site_url.rstrip("/") + "/" + API.rstrip("/")}],
        "paths": {
            "/vendors.json": {"get": {"operationId": "listVendors", "summary": "All vendors, summarised",
                                      "responses": ok("VendorList", "Vendor summaries, sorted by id")}},
            "/vendors/{id}.json": {"get": {"operationId": "getVendor", "summary": "One vendor's full record and derived fields",
                                           "parameters": [{"name": "id", "in": "path", "required": True,
                                                           "schema": {"type": "string", "pattern": "^[a-z0-9-]+$"}}],
                                           "responses": ok("VendorDetail", "The record as validated, plus derived fields")}},
            "/events.json": {"get": {"operationId": "listEvents", "summary": "All events, newest first",
                                     "responses": ok("EventList", "Events with stable tag: ids")}},
            "/incidents.json": {"get": {"operationId": "listIncidents",
                                        "summary": "Every incident: vendors' incidents and those without a vendor record",
                                        "responses": ok("IncidentList", "Incidents with their kind, newest first")}},
            "/schema/vendor.json": {"get": {"operationId": "getRecordSchema", "summary": "JSON Schema of vendor records",
                                            "responses": {"200": {"description": "JSON Schema (2020-12)",
                                                                  "content": {"application/schema+json": {}}}}}},
        },
        "components": {"schemas": {
            "VendorSummary": summary,
            "VendorList": {"type": "object", "required": ["api_version", "vendors"], "additionalProperties": False,
                           "properties": {"api_version": {"const": 1},
                                          "vendors": {"type": "array", "items": {"$ref": "#/components/schemas/VendorSummary"}}}},
            "VendorDetail": detail,
            "Event": event,
            "Incident": incident,
            "IncidentList": {"type": "object", "required": ["api_version", "incidents"], "additionalProperties": False,
                             "properties": {"api_version": {"const": 1},
                                            "incidents": {"type": "array", "items": {"$ref": "#/components/schemas/Incident"}}}},
            "EventList": {"type": "object", "required": ["api_version", "events"], "additionalProperties": False,
                          "properties": {"api_version": {"const": 1},
                                         "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}},
        }},
    }
